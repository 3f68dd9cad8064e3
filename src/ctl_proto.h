/*
 * The control socket's message format, shared by invpnd and invpnctl.
 *
 * A client sends one request per line: a JSON object such as
 *   {"command": "health", "wait": 2}
 * or the same as plain words ("health 2", "traceroute 02:00:00:00:00:01 3").
 * The daemon answers each with one line of JSON:
 *   {"ok": true, "command": "status", ...data...}
 *   {"ok": false, "error": "why"}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

#define CTL_DEFAULT_SOCKET "/run/invpn/invpnd.sock"
#define CTL_MAX_REQUEST 4096
#define CTL_DEFAULT_WAIT_MS 2000
#define CTL_MAX_WAIT_MS 60000

enum ctl_command {
	CTL_STATUS,
	CTL_PEERS,
	CTL_ROUTES,
	CTL_NODES,
	CTL_HEALTH,
	CTL_TRACEROUTE,
	CTL_GRAPH,
	CTL_METRICS, /* the Prometheus text, as /metrics serves it */
	CTL_COMMAND_COUNT,
};

struct ctl_request {
	enum ctl_command command;
	unsigned wait_ms; /* health, traceroute, graph */
	bool has_target;
	uint8_t target[MAC_LEN]; /* traceroute */
};

/** Parse one request line (without the newline). 0, or -EINVAL with *why set. */
int ctl_parse_request(const char *line, size_t len, struct ctl_request *req, const char **why);
/** Format a request as a JSON line (with newline) into buf; returns its length or -ENOSPC. */
int ctl_format_request(const struct ctl_request *req, char *buf, size_t cap);

const char *ctl_command_name(enum ctl_command c);
/** -1 if unknown. */
int ctl_command_parse(const char *name);
