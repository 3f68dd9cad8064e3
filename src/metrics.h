/*
 * Metrics: the daemon's counters as Prometheus text (metrics_text.h),
 * served over HTTP when "metrics = ADDRESS:PORT" is set (metrics_http.h)
 * and returned to the control socket's "metrics" request in any case.
 */
#pragma once

#include <stddef.h>

struct invpnd;

/**
 * Serve /metrics if the configuration says where. 0 (also when it does
 * not), or -errno with a one-line message in err.
 */
int metrics_open(struct invpnd *d, char *err, size_t errlen);
void metrics_close(struct invpnd *d);
/** The text, malloc'd (the caller frees it), its length in *len; NULL if memory ran out. */
char *metrics_render(struct invpnd *d, size_t *len);
