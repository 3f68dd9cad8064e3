#include "metrics_http.h"

#include <errno.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "loop.h"
#include "util.h"

struct metrics_http {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	struct loop_io io;	 /* MHD's epoll fd */
	struct loop_timer timer; /* MHD's next timeout */
	metrics_http_render_fn *render;
	void *arg;
};

static void on_timer(struct loop_timer *t);

static unsigned connections(struct metrics_http *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->mhd,
							    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

/*
 * Let MHD do what is due, then wake up again when it next wants to. Once it
 * closes connections at its limit, MHD puts its listening socket back into
 * its epoll set only at the start of its next run, and nothing would make
 * that run happen (connections waiting in the backlog cannot wake an epoll
 * set they are not in yet): so after closing any, run again next round.
 */
static void run(struct metrics_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	unsigned before = connections(h);

	MHD_run(h->mhd);
	if (connections(h) < before)
		loop_timer_arm(h->loop, &h->timer, 0, on_timer);
	else if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		loop_timer_arm(h->loop, &h->timer, ms, on_timer);
	else
		loop_timer_cancel(h->loop, &h->timer);
}

static void on_timer(struct loop_timer *t)
{
	run(container_of(t, struct metrics_http, timer));
}

static void on_io(struct loop_io *io, uint32_t events)
{
	run(container_of(io, struct metrics_http, io));
}

/* Queue a response. text is malloc'd (MHD frees it) or, with must_free false, a string literal. */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, char *text, size_t len,
			      bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text,
								 must_free
									 ? MHD_RESPMEM_MUST_FREE
									 : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		if (must_free)
			free(text);
		return MHD_NO; /* MHD closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
						      : "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* a literal as a response body: MHD never writes to a PERSISTENT buffer */
static enum MHD_Result answer_static(struct MHD_Connection *c, unsigned status, const char *text)
{
	char *body;

	memcpy(&body, &text, sizeof(body));
	return answer(c, status, body, strlen(text), false);
}

/*
 * Called once the request's header is in (and again for each piece of a
 * body, which we never want): everything is answered at the first call, so
 * a body is never read; MHD closes a connection whose body it skipped.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *h = cls;
	size_t len = 0;
	char *text;

	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return answer_static(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "only GET /metrics is served here\n");
	if (strcmp(url, "/metrics"))
		return answer_static(c, MHD_HTTP_NOT_FOUND, "only /metrics is served here\n");
	text = h->render(h->arg, &len);
	if (!text)
		return answer_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				     "cannot render the metrics (out of memory)\n");
	return answer(c, MHD_HTTP_OK, text, len, true);
}

/* MHD's own complaints (connection limit reached, a bad request): debug, rate-limited */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	static struct ratelimit rl;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_ratelimited(&rl, loop_clock_ms(), LOG_DEBUG, "metrics: %s", msg);
}

static int listen_on(const struct sockaddr *addr, socklen_t addrlen, char *err, size_t errlen)
{
	char name[ADDR_STRLEN];
	int fd, one = 1;

	addr_format(addr, name, sizeof(name));
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, addr, addrlen) < 0 || listen(fd, METRICS_HTTP_BACKLOG) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "metrics: %s: %s", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

struct metrics_http *metrics_http_open(struct loop *loop, const struct sockaddr *addr,
				       socklen_t addrlen, metrics_http_render_fn *render, void *arg,
				       char *err, size_t errlen)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	int fd;

	if (!h) {
		snprintf(err, errlen, "metrics: %s", strerror(ENOMEM));
		return NULL;
	}
	fd = listen_on(addr, addrlen, err, errlen);
	if (fd < 0) {
		free(h);
		return NULL;
	}
	h->loop = loop;
	h->render = render;
	h->arg = arg;
	/* no MHD_USE_INTERNAL_POLLING_THREAD: MHD runs only inside MHD_run, from our loop */
	/* the logger first: MHD reads it before the other options */
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)METRICS_HTTP_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_HTTP_MEMORY,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "metrics: libmicrohttpd would not start");
		close(fd);
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || loop_io_add(loop, &h->io, info->epoll_fd, EPOLLIN, on_io) < 0) {
		snprintf(err, errlen, "metrics: cannot add libmicrohttpd's epoll fd to the loop");
		MHD_stop_daemon(h->mhd);
		free(h);
		return NULL;
	}
	run(h);
	return h;
}

void metrics_http_close(struct metrics_http *h)
{
	if (!h)
		return;
	loop_io_del(h->loop, &h->io);
	loop_timer_cancel(h->loop, &h->timer);
	/* closes the connections and the listening socket */
	MHD_stop_daemon(h->mhd);
	free(h);
}
