/*
 * metrics_http.h without libmicrohttpd (meson -Dmetrics=disabled): nothing
 * is served. build_check_config refuses a configuration that sets
 * "metrics", so this only says why if it is reached anyway. invpnctl
 * metrics works in every build: it asks the control socket.
 */
#include "metrics_http.h"

#include <stdio.h>

struct metrics_http *metrics_http_open(struct loop *loop, const struct sockaddr *addr,
				       socklen_t addrlen, metrics_http_render_fn *render, void *arg,
				       char *err, size_t errlen)
{
	snprintf(err, errlen, "metrics: invpnd was built without libmicrohttpd");
	return NULL;
}

void metrics_http_close(struct metrics_http *h)
{
}
