#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"

enum key_type {
	KEY_STR,
	KEY_UINT,
	KEY_BOOL,
	KEY_PEERS,
	KEY_DOMAINS,
	KEY_LOGLEVEL,
	KEY_ADDR,
	KEY_IFNAME,
	KEY_HOSTPORT
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	unsigned min, max; /* KEY_UINT */
	unsigned width;	   /* KEY_UINT: sizeof the field */
	const char *help;
	const char *unset; /* what the default means where config_init sets nothing */
};

/* initializer macros: clang-format cannot lay them out */
/* clang-format off */
#define STR(k, h) {#k, KEY_STR, offsetof(struct config, k), 0, 0, 0, h, NULL}
#define STR_UNSET(k, h, u) {#k, KEY_STR, offsetof(struct config, k), 0, 0, 0, h, u}
#define UINT(k, lo, hi, h) \
	{#k, KEY_UINT, offsetof(struct config, k), lo, hi, sizeof(((struct config *)0)->k), h, NULL}
#define BOOL(k, h) {#k, KEY_BOOL, offsetof(struct config, k), 0, 0, 0, h, NULL}
/* clang-format on */

static const struct key_def keys[] = {
	STR(key, "private key file (PEM)"),
	STR(cert, "certificate file (PEM); its CN is this node's MAC"),
	STR(ca, "CA certificate file (PEM, may hold several CAs)"),
	STR_UNSET(crl, "certificate revocation list (PEM)", "none"),
	UINT(port, 1, 65535, "listening port"),
	{"listen", KEY_ADDR, offsetof(struct config, listen), 0, 0, 0, "bind address",
	 "all, IPv4 and IPv6"},
	{"init", KEY_PEERS, 0, 0, 0, 0, "seed, repeatable: [MAC@]HOST[:PORT]", "none"},
	{"srv", KEY_DOMAINS, 0, 0, 0, 0, "DNS domain for _invpn._tcp SRV seeds, repeatable",
	 "none"},
	BOOL(mdns, "publish and browse _invpn._tcp on the LAN"),
	STR(cache, "peer cache file (empty: keep none)"),
	UINT(min_links, 0, 1024, "links to keep at least"),
	UINT(max_links, 1, 1024, "links to allow at most"),
	UINT(max_routes, 512, 1048576, "routes (known nodes) at most"),
	UINT(max_nodes, 16, 262144, "addresses in the node directory at most"),
	BOOL(no_incoming, "accept no incoming links, announce no address"),
	BOOL(no_relay, "relay nothing for others (implies no_incoming)"),
	{"interface", KEY_IFNAME, offsetof(struct config, interface), 0, 0, 0,
	 "TAP interface name template", NULL},
	UINT(mtu, 68, 65000, "TAP MTU"),
	BOOL(offload, "TAP offloads: 64 KiB TCP frames to peers that take them"),
	BOOL(sign, "sign our announcements, verify others' (peers that take them)"),
	BOOL(require_signed, "refuse unsigned origins and peers that do not sign"),
	STR(control, "control socket path"),
	UINT(announce_interval, 1, 3600, "seconds between announcements (grows beyond 5 nodes)"),
	UINT(announce_interval_max, 1, 3600,
	     "seconds between announcements at most, as the mesh grows"),
	UINT(route_timeout, 1, 86400,
	     "seconds a route lives without a fresh INFO (at least; 4 rounds if longer)"),
	UINT(link_timeout, 1, 3600, "seconds of silence before a link is dead"),
	{"log_level", KEY_LOGLEVEL, offsetof(struct config, log_level), 0, 0, 0,
	 "error, warning, notice, info or debug", NULL},
	STR_UNSET(user, "user to run as after start-up", "the starting user"),
	STR_UNSET(group, "group to run as after start-up", "the user's"),
	STR_UNSET(up, "command run (by /bin/sh) once the interface is up", "none"),
	STR_UNSET(down, "command run (by /bin/sh) before the interface goes", "none"),
	{"metrics", KEY_HOSTPORT, offsetof(struct config, metrics), 0, 0, 0,
	 "serve Prometheus /metrics on ADDRESS:PORT (e.g. 127.0.0.1:9120)", "off"},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->key = strdup(CONFIG_DIR "/node.key");
	c->cert = strdup(CONFIG_DIR "/node.crt");
	c->ca = strdup(CONFIG_DIR "/ca.crt");
	c->port = CONFIG_DEFAULT_PORT;
	c->mdns = true;
	c->offload = true;
	c->sign = true;
	c->cache = strdup("/var/lib/invpn/peers.cache");
	c->min_links = 2;
	c->max_links = 16;
	c->max_routes = 4096;
	c->max_nodes = 1024;
	c->interface = strdup("invpn%d");
	c->mtu = 1500;
	c->control = strdup("/run/invpn/invpnd.sock");
	c->announce_interval = 5;
	c->announce_interval_max = 60;
	c->route_timeout = 30;
	c->link_timeout = 15;
	c->log_level = LOG_INFO;
}

void config_fini(struct config *c)
{
	free(c->key);
	free(c->cert);
	free(c->ca);
	free(c->crl);
	free(c->listen);
	free(c->cache);
	free(c->interface);
	free(c->control);
	free(c->user);
	free(c->group);
	free(c->up);
	free(c->down);
	free(c->metrics);
	for (size_t i = 0; i < c->n_srv; i++)
		free(c->srv[i]);
	memset(c, 0, sizeof(*c));
}

static int fail(char *err, size_t errlen, const char *where, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const char *where, const char *key, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(err, errlen, "%s: %s: %s", where, key, why);
	else
		snprintf(err, errlen, "%s: %s", where, why);
	return -EINVAL;
}

/* Key names: '-' and '_' are the same; case-insensitive. */
static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const char *a = keys[i].name, *b = name;

		for (; *a && *b; a++, b++) {
			char cb = *b == '-' ? '_' : (char)tolower((unsigned char)*b);

			if (*a != cb)
				break;
		}
		if (!*a && !*b)
			return &keys[i];
	}
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

/*
 * All digits and dots: meant as an IPv4 address, never a DNS name (no top-level
 * domain is numeric). The resolver would take "300.1.1.1" as a name to look up,
 * and "10.1" or "010.0.0.1" as inet_aton's shorthand or octal for some other address.
 */
static bool looks_ipv4(const char *s)
{
	return *s && strspn(s, "0123456789.") == strlen(s);
}

static bool is_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return false;
	}
	return true;
}

int config_parse_peer(const char *s, uint16_t default_port, struct config_peer *out,
		      const char **why)
{
	const char *at = strchr(s, '@'), *host = s, *port = NULL;
	char buf[256];
	size_t hostlen;

	memset(out, 0, sizeof(*out));
	if (at) {
		if ((size_t)(at - s) >= sizeof(buf)) {
			*why = "bad MAC before '@'";
			return -EINVAL;
		}
		memcpy(buf, s, (size_t)(at - s));
		buf[at - s] = '\0';
		if (mac_parse(buf, out->mac) < 0) {
			*why = "bad MAC before '@' (want xx:xx:xx:xx:xx:xx)";
			return -EINVAL;
		}
		if (!mac_is_node(out->mac)) {
			*why = "the MAC before '@' is a group or all-zero MAC";
			return -EINVAL;
		}
		out->has_mac = true;
		host = at + 1;
	}
	if (*host == '[') {
		const char *close = strchr(host, ']');

		if (!close) {
			*why = "missing ']' after IPv6 address";
			return -EINVAL;
		}
		hostlen = (size_t)(close - host - 1);
		host++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1]) {
			*why = "junk after ']'";
			return -EINVAL;
		}
	} else {
		const char *colon = strchr(host, ':');

		/* more than one colon: a bare IPv6 address without a port */
		if (colon && !strchr(colon + 1, ':')) {
			hostlen = (size_t)(colon - host);
			port = colon + 1;
		} else {
			hostlen = strlen(host);
		}
	}
	if (hostlen == 0 || hostlen >= sizeof(out->host)) {
		*why = "missing or too long host";
		return -EINVAL;
	}
	memcpy(out->host, host, hostlen);
	out->host[hostlen] = '\0';
	if (looks_ipv4(out->host) && !addr_is_ip(out->host)) {
		*why = "not an IPv4 address (want four numbers 0-255, like 192.0.2.1)";
		return -EINVAL;
	}
	if (!addr_is_ip(out->host) && !is_hostname(out->host)) {
		*why = "host is neither an IP address nor a DNS name";
		return -EINVAL;
	}
	out->port = default_port;
	if (port) {
		unsigned p;

		if (parse_uint(port, 1, 65535, &p) < 0) {
			*why = "bad port (want 1-65535)";
			return -EINVAL;
		}
		out->port = (uint16_t)p;
	}
	return 0;
}

static int parse_loglevel(const char *v, int *out)
{
	static const struct {
		const char *name;
		int prio;
	} levels[] = {{"error", LOG_ERR},
		      {"warning", LOG_WARNING},
		      {"notice", LOG_NOTICE},
		      {"info", LOG_INFO},
		      {"debug", LOG_DEBUG}};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcasecmp(v, levels[i].name)) {
			*out = levels[i].prio;
			return 0;
		}
	}
	return -EINVAL;
}

/* shown: the key as errors name it (the file's key, or the flag as typed) */
static int set_list_item(struct config *c, const struct key_def *k, const char *item,
			 const char *where, const char *shown, char *err, size_t errlen)
{
	const char *why = NULL;

	if (k->type == KEY_PEERS) {
		if (c->n_init >= CONFIG_MAX_LIST)
			return fail(err, errlen, where, shown, "more than %d entries",
				    CONFIG_MAX_LIST);
		/* the port is filled in later if absent: 0 means "the configured port" */
		if (config_parse_peer(item, 0, &c->init[c->n_init], &why) < 0)
			return fail(err, errlen, where, shown, "'%s': %s", item, why);
		c->n_init++;
		return 0;
	}
	if (c->n_srv >= CONFIG_MAX_LIST)
		return fail(err, errlen, where, shown, "more than %d entries", CONFIG_MAX_LIST);
	if (!is_hostname(item))
		return fail(err, errlen, where, shown, "'%s' is not a DNS domain", item);
	c->srv[c->n_srv++] = strdup(item);
	return 0;
}

static int set_value(struct config *c, const struct key_def *k, const char *value,
		     const char *where, const char *shown, char *err, size_t errlen)
{
	void *field = (char *)c + k->offset;

	switch (k->type) {
	case KEY_STR:
	case KEY_ADDR:
	case KEY_IFNAME:
	case KEY_HOSTPORT: {
		char **s = field;

		/* an empty cache means: keep none */
		if (!*value && strcmp(k->name, "cache"))
			return fail(err, errlen, where, shown, "empty value");
		if (k->type == KEY_ADDR && !addr_is_ip(value))
			return fail(err, errlen, where, shown, "'%s' is not an IP address", value);
		if (k->type == KEY_HOSTPORT) {
			struct config_peer hp;
			const char *why = NULL;

			if (config_parse_peer(value, 0, &hp, &why) < 0 || hp.has_mac ||
			    !addr_is_ip(hp.host) || hp.port == 0)
				return fail(err, errlen, where, shown,
					    "'%s' is not ADDRESS:PORT with an IP address (e.g. "
					    "127.0.0.1:9120 or [::1]:9120)",
					    value);
		}
		if (k->type == KEY_IFNAME) {
			const char *pct = strchr(value, '%');

			if (strlen(value) >= IFNAMSIZ)
				return fail(err, errlen, where, shown,
					    "'%s' is too long (at most %d characters)", value,
					    IFNAMSIZ - 1);
			if (strchr(value, '/') || strpbrk(value, " \t") ||
			    (pct && (pct[1] != 'd' || strchr(pct + 1, '%'))))
				return fail(err, errlen, where, shown,
					    "'%s' is not an interface name (one %%d allowed)",
					    value);
		}
		free(*s);
		*s = strdup(value);
		return 0;
	}
	case KEY_UINT: {
		unsigned n;

		if (parse_uint(value, k->min, k->max, &n) < 0)
			return fail(err, errlen, where, shown,
				    "'%s' is not a whole number from %u to %u", value, k->min,
				    k->max);
		if (k->width == sizeof(uint16_t))
			*(uint16_t *)field = (uint16_t)n;
		else
			*(unsigned *)field = n;
		return 0;
	}
	case KEY_BOOL:
		if (parse_bool(value, field) < 0)
			return fail(err, errlen, where, shown, "'%s' is not yes or no", value);
		return 0;
	case KEY_LOGLEVEL:
		if (parse_loglevel(value, field) < 0)
			return fail(err, errlen, where, shown,
				    "'%s' is not one of error, warning, notice, info, debug",
				    value);
		return 0;
	case KEY_PEERS:
	case KEY_DOMAINS: {
		/* QSettings writes lists comma-separated; also accept one per line */
		char buf[4096], *save = NULL;

		if (strlen(value) >= sizeof(buf))
			return fail(err, errlen, where, shown, "value too long");
		strcpy(buf, value);
		for (char *item = strtok_r(buf, ", \t", &save); item;
		     item = strtok_r(NULL, ", \t", &save)) {
			int r = set_list_item(c, k, item, where, shown, err, errlen);

			if (r < 0)
				return r;
		}
		return 0;
	}
	}
	return -EINVAL;
}

int config_set(struct config *c, const char *key, const char *value, const char *where, char *err,
	       size_t errlen)
{
	const struct key_def *k = find_key(key);

	if (!k)
		return fail(err, errlen, where, key, "unknown key");
	return set_value(c, k, value, where, k->name, err, errlen);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int config_parse_text(struct config *c, const char *text, size_t len, const char *origin, char *err,
		      size_t errlen)
{
	/* the line each single-valued key was set on: a second one is a mistake, not an override */
	unsigned set_on[N_KEYS] = {0};
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const struct key_def *k;
		/* zeroed: the static analyzer loses track of the copy loop below */
		char line[4096] = "", where[PATH_MAX + 32], *s, *eq, *value;
		size_t n = 0;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (n + 1 >= sizeof(line)) {
				snprintf(where, sizeof(where), "%s:%u", origin, lineno);
				return fail(err, errlen, where, NULL, "line too long");
			}
			if (text[pos] == '\0') {
				snprintf(where, sizeof(where), "%s:%u", origin, lineno);
				return fail(err, errlen, where, NULL, "NUL byte in file");
			}
			line[n++] = text[pos++];
		}
		pos++; /* the newline */
		line[n] = '\0';
		snprintf(where, sizeof(where), "%s:%u", origin, lineno);
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (s[strlen(s) - 1] != ']')
				return fail(err, errlen, where, NULL, "bad section header '%s'", s);
			continue; /* keys are unique across sections */
		}
		eq = strchr(s, '=');
		if (!eq)
			return fail(err, errlen, where, NULL, "expected 'key = value', got '%s'",
				    s);
		*eq = '\0';
		value = trim(eq + 1);
		s = trim(s);
		/* QSettings may quote values */
		if (value[0] == '"' && strlen(value) >= 2 && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		if (!*s)
			return fail(err, errlen, where, NULL, "missing key before '='");
		k = find_key(s);
		if (!k)
			return fail(err, errlen, where, s, "unknown key");
		/* init and srv are lists: each line adds to them */
		if (k->type != KEY_PEERS && k->type != KEY_DOMAINS) {
			if (set_on[k - keys])
				return fail(err, errlen, where, k->name, "already set on line %u",
					    set_on[k - keys]);
			set_on[k - keys] = lineno;
		}
		if (set_value(c, k, value, where, k->name, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

int config_validate(const struct config *c, char *err, size_t errlen)
{
	if (c->require_signed && !c->sign)
		return fail(err, errlen, "configuration", "require_signed",
			    "needs sign = yes (a node that does not sign cannot verify others)");
	if (c->min_links > c->max_links)
		return fail(err, errlen, "configuration", "min_links",
			    "%u is more than max_links (%u)", c->min_links, c->max_links);
	if (c->link_timeout <= c->announce_interval)
		return fail(err, errlen, "configuration", "link_timeout",
			    "%u s must be longer than announce_interval (%u s)", c->link_timeout,
			    c->announce_interval);
	if (c->route_timeout <= c->announce_interval)
		return fail(err, errlen, "configuration", "route_timeout",
			    "%u s must be longer than announce_interval (%u s)", c->route_timeout,
			    c->announce_interval);
	return 0;
}

static bool is_bool_key(const char *name)
{
	const struct key_def *k = find_key(name);

	return k && k->type == KEY_BOOL;
}

/* A word that is not an option: say what was probably meant. */
static int stray_word(const char *a, char *err, size_t errlen)
{
	const char *eq = strchr(a, '=');
	char name[64];

	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
	if (find_key(name))
		return fail(err, errlen, "command line", a,
			    "unexpected argument (the option is --%s)", a);
	return fail(err, errlen, "command line", a,
		    "unexpected argument (invpnd takes only options: --KEY VALUE)");
}

int config_parse_args(int argc, char **argv, struct cmdline *cl, char *err, size_t errlen)
{
	memset(cl, 0, sizeof(*cl));
	cl->tunfd = cl->ctlfd = cl->listenfd[0] = cl->listenfd[1] = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (i + 1 >= argc)
				return fail(err, errlen, "command line", a, "needs a file");
			cl->config_file = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			cl->config_file = a + 9;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--foreground")) {
			cl->foreground = true;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--check")) {
			cl->check_only = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cl->verbose++;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cl->help = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			cl->version = true;
		} else if (!strncmp(a, "--tunfd=", 8) || !strncmp(a, "--ctlfd=", 8) ||
			   !strncmp(a, "--listenfd=", 11)) {
			/* internal, from a SIGUSR2 re-exec */
			const char *num = strchr(a, '=') + 1;
			char *end;
			long fd = strtol(num, &end, 10);

			if (*end || fd < 3 || fd > 65535)
				return fail(err, errlen, "command line", a, "bad file descriptor");
			if (a[2] == 't')
				cl->tunfd = (int)fd;
			else if (a[2] == 'c')
				cl->ctlfd = (int)fd;
			else if (cl->listenfd[0] < 0)
				cl->listenfd[0] = (int)fd;
			else
				cl->listenfd[1] = (int)fd;
		} else if (!strncmp(a, "--", 2) && a[2]) {
			static char names[256][64];
			const char *name = a + 2, *eq = strchr(name, '='), *value;
			size_t n = cl->n_overrides;

			if (n >= 256)
				return fail(err, errlen, "command line", NULL, "too many options");
			if (eq) {
				if ((size_t)(eq - name) >= sizeof(names[0]))
					return fail(err, errlen, "command line", a,
						    "unknown option");
				memcpy(names[n], name, (size_t)(eq - name));
				names[n][eq - name] = '\0';
				value = eq + 1;
			} else {
				if (strlen(name) >= sizeof(names[0]))
					return fail(err, errlen, "command line", a,
						    "unknown option");
				strcpy(names[n], name);
				if (!find_key(name))
					return fail(err, errlen, "command line", a,
						    "unknown option");
				/*
				 * A bare flag means yes. invpnd takes no arguments, so a word
				 * after a flag is meant as its value: "--mdns maybe" is a bad
				 * value for --mdns, not a stray "maybe".
				 */
				if (is_bool_key(name) && (i + 1 >= argc || argv[i + 1][0] == '-'))
					value = "yes";
				else if (i + 1 < argc)
					value = argv[++i];
				else
					return fail(err, errlen, "command line", a,
						    "needs a value");
			}
			if (!find_key(names[n]))
				return fail(err, errlen, "command line", a, "unknown option");
			cl->keys[n] = names[n];
			cl->values[n] = value;
			cl->n_overrides++;
		} else {
			return stray_word(a, err, errlen);
		}
	}
	return 0;
}

int config_apply_cmdline(struct config *c, const struct cmdline *cl, char *err, size_t errlen)
{
	bool cleared_init = false, cleared_srv = false;

	for (size_t i = 0; i < cl->n_overrides; i++) {
		const struct key_def *k = find_key(cl->keys[i]);
		char shown[80];

		if (k && k->type == KEY_PEERS && !cleared_init) {
			c->n_init = 0;
			cleared_init = true;
		}
		if (k && k->type == KEY_DOMAINS && !cleared_srv) {
			for (size_t j = 0; j < c->n_srv; j++)
				free(c->srv[j]);
			c->n_srv = 0;
			cleared_srv = true;
		}
		if (!k)
			return fail(err, errlen, "command line", cl->keys[i], "unknown option");
		/* name the flag as it was typed */
		snprintf(shown, sizeof(shown), "--%s", cl->keys[i]);
		if (set_value(c, k, cl->values[i], "command line", shown, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The default of a key as it would be written in the file, or what leaving it unset means. */
static void format_default(const struct config *d, const struct key_def *k, char *buf, size_t len)
{
	const void *field = (const char *)d + k->offset;

	switch (k->type) {
	case KEY_STR:
	case KEY_ADDR:
	case KEY_IFNAME:
	case KEY_HOSTPORT: {
		const char *v = *(char *const *)field;

		snprintf(buf, len, "%s", v && *v ? v : k->unset ? k->unset : "none");
		return;
	}
	case KEY_UINT:
		snprintf(buf, len, "%u",
			 k->width == sizeof(uint16_t) ? *(const uint16_t *)field
						      : *(const unsigned *)field);
		return;
	case KEY_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		return;
	case KEY_LOGLEVEL: {
		static const char *const names[] = {[LOG_ERR] = "error",
						    [LOG_WARNING] = "warning",
						    [LOG_NOTICE] = "notice",
						    [LOG_INFO] = "info",
						    [LOG_DEBUG] = "debug"};
		int v = *(const int *)field;

		snprintf(buf, len, "%s",
			 v >= LOG_ERR && v <= LOG_DEBUG && names[v] ? names[v] : "?");
		return;
	}
	case KEY_PEERS:
	case KEY_DOMAINS:
		snprintf(buf, len, "%s", k->unset);
		return;
	}
}

void config_print_keys(void *stream)
{
	struct config d;

	/* from config_init itself, so that --help cannot drift from what runs */
	config_init(&d);
	for (size_t i = 0; i < N_KEYS; i++) {
		char def[128];
		int n;

		format_default(&d, &keys[i], def, sizeof(def));
		n = fprintf(stream, "  --%-18s %s", keys[i].name, keys[i].help);
		/* within CONFIG_HELP_COLUMNS: a long default goes on a line of its own */
		if (n + (int)strlen(def) + 12 > CONFIG_HELP_COLUMNS)
			fprintf(stream, "\n%23s(default: %s)\n", "", def);
		else
			fprintf(stream, " (default: %s)\n", def);
	}
	config_fini(&d);
}
