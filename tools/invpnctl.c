/*
 * invpnctl: the admin tool. Parses the command line, sends one request to
 * invpnd's control socket (ctl_proto.h), reads the one JSON reply and hands
 * it to the command's renderer (invpnctl_show.c, invpnctl_mesh.c).
 */
#include "invpnctl.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "?"
#endif

/* connecting, sending, and the reply to a command that is not a round */
#define IO_TIMEOUT_S 5
/* the daemon caps its replies at 8 MiB */
#define MAX_REPLY (16 * 1024 * 1024)

typedef int (*command_fn)(struct json_object *reply, const struct ictl_opts *o);

static const command_fn command_fns[CTL_COMMAND_COUNT] = {
	[CTL_STATUS] = ictl_show_status, [CTL_PEERS] = ictl_show_peers,
	[CTL_ROUTES] = ictl_show_routes, [CTL_NODES] = ictl_show_nodes,
	[CTL_HEALTH] = ictl_mesh_health, [CTL_TRACEROUTE] = ictl_mesh_traceroute,
	[CTL_GRAPH] = ictl_mesh_graph,	 [CTL_METRICS] = ictl_show_metrics,
};

static bool is_round(enum ctl_command c)
{
	return c == CTL_HEALTH || c == CTL_TRACEROUTE || c == CTL_GRAPH;
}

static _Noreturn __attribute__((format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("invpnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nsee invpnctl --help\n", stderr);
	exit(ICTL_EXIT_USAGE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- talking to the daemon ---- */

static void connect_error(const char *path, int err)
{
	if (err == ENOENT || err == ECONNREFUSED)
		ictl_err("invpnd is not running (no socket at %s)", path);
	else if (err == EACCES || err == EPERM)
		ictl_err("%s: %s (run as root or as a member of the socket's group)", path,
			 strerror(err));
	else if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT)
		ictl_err("%s: invpnd does not accept connections (gave up after %d s)", path,
			 IO_TIMEOUT_S);
	else
		ictl_err("%s: %s", path, strerror(err));
}

/* A connected socket, or -1 after printing why. */
static int connect_daemon(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	int fd;

	/* the length was checked when parsing the options */
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ictl_err("socket: %s", strerror(errno));
		return -1;
	}
	/* bounds connect() (a full backlog) and send() */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ictl_err("setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		connect_error(path, errno);
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one line (without its newline) within timeout_ms; the caller frees it. */
static char *read_line(int fd, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nl;

	if (!buf) {
		ictl_err("out of memory");
		return NULL;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = now_ms();
		ssize_t n;
		int r;

		if (now >= deadline) {
			ictl_err("no reply from invpnd within %u s", (timeout_ms + 999) / 1000);
			goto fail;
		}
		r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ictl_err("poll: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			continue; /* the deadline check above reports it */
		if (len + 1 >= cap) {
			char *nb;

			if (cap >= MAX_REPLY) {
				ictl_err("reply from invpnd too large (more than %d MiB)",
					 MAX_REPLY >> 20);
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				ictl_err("out of memory");
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0) {
			ictl_err("reading from invpnd: %s", strerror(errno));
			goto fail;
		}
		if (n == 0) {
			ictl_err("invpnd closed the connection without a complete reply");
			goto fail;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
fail:
	free(buf);
	return NULL;
}

/* Send the request and return the parsed reply object, or NULL after printing why. */
static struct json_object *ask(const struct ictl_opts *o)
{
	struct ctl_request req = {.command = o->command, .wait_ms = o->wait_ms};
	char line[CTL_MAX_REQUEST];
	struct json_object *reply = NULL;
	enum json_tokener_error jerr;
	char *text;
	int fd, n, r;

	req.has_target = o->has_target;
	memcpy(req.target, o->target, MAC_LEN);
	n = ctl_format_request(&req, line, sizeof(line));
	if (n < 0) {
		ictl_err("request too long");
		return NULL;
	}
	fd = connect_daemon(o->socket);
	if (fd < 0)
		return NULL;
	r = send_all(fd, line, (size_t)n);
	if (r < 0) {
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			ictl_err("%s: invpnd does not read its requests (gave up after %d s)",
				 o->socket, IO_TIMEOUT_S);
		else
			ictl_err("%s: sending the request: %s", o->socket, strerror(-r));
		close(fd);
		return NULL;
	}
	text = read_line(fd, (is_round(o->command) ? o->wait_ms : 0) + IO_TIMEOUT_S * 1000);
	close(fd);
	if (!text)
		return NULL;
	reply = json_tokener_parse_verbose(text, &jerr);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		ictl_err("invpnd sent a reply that is not a JSON object (%s)",
			 reply ? "wrong type" : json_tokener_error_desc(jerr));
		json_object_put(reply);
		reply = NULL;
	}
	free(text);
	return reply;
}

/* ---- the command line ---- */

static void parse_wait(const char *s, struct ictl_opts *o)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v * 1000 < 1 || v * 1000 > CTL_MAX_WAIT_MS)
		usage_error("--wait: '%s' is not a number of seconds from 0.001 to %d", s,
			    CTL_MAX_WAIT_MS / 1000);
	o->wait_ms = (unsigned)(v * 1000 + 0.5);
}

static void parse_target(const char *s, struct ictl_opts *o)
{
	if (mac_parse(s, o->target) < 0)
		usage_error("traceroute: '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
	if (!mac_is_node(o->target))
		usage_error("traceroute: %s is a group or all-zero MAC, not a node's", s);
	o->has_target = true;
}

static void print_command_help(const char *name)
{
	if (!ictl_help_command(stdout, name))
		usage_error("unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"wide", no_argument, NULL, 'W'},
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ictl_opts o = {.wait_ms = CTL_DEFAULT_WAIT_MS};
	struct json_object *reply;
	const char *env = getenv("INVPN_SOCKET"), *wait_arg = NULL, *name;
	bool help = false;
	int c, cmd, status;

	o.socket = env && *env ? env : CTL_DEFAULT_SOCKET;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:jw:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg ? optarg
					  : ""; /* getopt gives one; the analyzer cannot know */
			break;
		case 'j':
			o.json = true;
			break;
		case 'W':
			o.wide = true;
			break;
		case 'w':
			wait_arg = optarg;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			printf("invpnctl %s\n", PACKAGE_VERSION);
			return ICTL_EXIT_OK;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (optind == argc) {
		if (help) {
			ictl_help_main(stdout);
			return ICTL_EXIT_OK;
		}
		usage_error("no command given");
	}
	name = argv[optind++];
	if (!strcmp(name, "help")) {
		if (optind == argc)
			ictl_help_main(stdout);
		else if (optind + 1 == argc)
			print_command_help(argv[optind]);
		else
			usage_error("help: too many arguments");
		return ICTL_EXIT_OK;
	}
	cmd = ctl_command_parse(name);
	if (cmd < 0)
		usage_error("unknown command '%s'", name);
	if (help) {
		print_command_help(name);
		return ICTL_EXIT_OK;
	}
	o.command = (enum ctl_command)cmd;

	if (o.command == CTL_TRACEROUTE) {
		if (optind == argc)
			usage_error("traceroute: missing the target MAC");
		parse_target(argv[optind++], &o);
	}
	if (optind < argc)
		usage_error("%s: unexpected argument '%s'", name, argv[optind]);
	if (wait_arg) {
		if (!is_round(o.command))
			usage_error("%s: --wait is only for health, traceroute and graph", name);
		parse_wait(wait_arg, &o);
	}
	if (!*o.socket)
		usage_error("the socket path is empty");
	if (strlen(o.socket) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		usage_error("%s: socket path too long (at most %zu bytes)", o.socket,
			    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);

	reply = ask(&o);
	if (!reply)
		return ICTL_EXIT_FAIL;
	if (!ictl_get_bool(reply, "ok", false)) {
		const char *why = ictl_get_str(reply, "error");

		if (o.json)
			ictl_print_json(reply);
		ictl_err("invpnd: %s", why ? why : "request failed (no reason given)");
		status = ICTL_EXIT_FAIL;
	} else if (!ictl_get_str(reply, "command") ||
		   strcmp(ictl_get_str(reply, "command"), ctl_command_name(o.command))) {
		ictl_err("invpnd answered another command than '%s'", name);
		status = ICTL_EXIT_FAIL;
	} else {
		status = command_fns[o.command](reply, &o);
	}
	json_object_put(reply);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ictl_err("writing the output: %s", strerror(errno));
		status = ICTL_EXIT_FAIL;
	}
	return status;
}
