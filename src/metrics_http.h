/*
 * The Prometheus scrape endpoint: GET /metrics over HTTP, served by
 * libmicrohttpd from our own loop (no thread): MHD keeps its sockets in an
 * epoll set of its own, whose one fd sits in our loop, and a loop timer
 * stands in for its timeouts. Nothing but GET /metrics is answered: other
 * paths get 404, other methods 405.
 *
 * Bounds: METRICS_HTTP_MAX_CONNECTIONS at once (beyond, MHD leaves new
 * connections in the kernel's backlog of METRICS_HTTP_BACKLOG, then the
 * kernel refuses them), METRICS_HTTP_MEMORY bytes per connection for the
 * request (a bigger header is answered 431 and closed), and
 * METRICS_HTTP_TIMEOUT_S seconds without progress before a connection is
 * closed. A scrape renders the whole text at once (metrics_text.h bounds
 * its size).
 *
 * A mechanism: it knows the loop and nothing of the daemon, which hands it
 * the function that renders the text. Without libmicrohttpd
 * (-Dmetrics=disabled) metrics_none.c stands in and refuses to open.
 */
#pragma once

#include <stddef.h>
#include <sys/socket.h>

#define METRICS_HTTP_MAX_CONNECTIONS 16
#define METRICS_HTTP_BACKLOG 16
#define METRICS_HTTP_MEMORY (16 * 1024)
#define METRICS_HTTP_TIMEOUT_S 10

struct loop;
struct metrics_http;

/* The text to serve, malloc'd (the server frees it), its length in *len; NULL: answer 500. */
typedef char *metrics_http_render_fn(void *arg, size_t *len);

/**
 * Listen on addr and serve. Returns the server, or NULL with a one-line
 * message in err (nothing left open).
 */
struct metrics_http *metrics_http_open(struct loop *loop, const struct sockaddr *addr,
				       socklen_t addrlen, metrics_http_render_fn *render, void *arg,
				       char *err, size_t errlen);
/** Close every connection and the listening socket; NULL is fine. */
void metrics_http_close(struct metrics_http *h);
