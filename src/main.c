/* invpnd: argv, configuration, start-up order, exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>

#include "build.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "privdrop.h"
#include "script.h"

#define EXIT_CONFIG 1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: invpnd [-c FILE] [-f] [-n] [-v] [--KEY VALUE | --KEY=VALUE | --FLAG]...\n"
		"\n"
		"A zero-config layer-2 mesh VPN node. Every configuration key can be given\n"
		"on the command line and wins over the file; a flag with no value means yes.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s, if present)\n"
		"  -f, --foreground   stay in the foreground, log to stderr\n"
		"  -n, --check        check the configuration and files, then exit\n"
		"  -v, --verbose      log debug messages\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n"
		"\nKeys:\n",
		CONFIG_DEFAULT_FILE);
	config_print_keys(f);
}

/* Read a whole (small) config file. */
static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return -errno;
	/* zeroed: the analyzer cannot see that fread fills what it counts */
	buf = calloc(1, 1024 * 1024 + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, 1024 * 1024 + 1, f);
	if (ferror(f) || n > 1024 * 1024) {
		int r = ferror(f) ? -EIO : -EFBIG;

		fclose(f);
		free(buf);
		return r;
	}
	fclose(f);
	*text = buf;
	*len = n;
	return 0;
}

static int load_config(struct config *c, const struct cmdline *cl, char *err, size_t errlen)
{
	const char *path = cl->config_file ? cl->config_file : CONFIG_DEFAULT_FILE;
	char *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len);

	if (r < 0) {
		if (!cl->config_file && r == -ENOENT) {
			path = NULL; /* no file at all: defaults */
		} else {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
			return r;
		}
	}
	if (path) {
		r = config_parse_text(c, text, len, path, err, errlen);
		free(text);
		if (r < 0)
			return r;
	}
	if ((r = config_apply_cmdline(c, cl, err, errlen)) < 0)
		return r;
	for (size_t i = 0; i < c->n_init; i++) {
		if (c->init[i].port == 0)
			c->init[i].port = c->port;
	}
	if ((r = config_validate(c, err, errlen)) < 0)
		return r;
	return build_check_config(c, err, errlen);
}

/* The file load_config read, if any. */
static const char *config_path_used(const struct cmdline *cl)
{
	if (cl->config_file)
		return cl->config_file;
	return access(CONFIG_DEFAULT_FILE, R_OK) == 0 ? CONFIG_DEFAULT_FILE : NULL;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* one fd per link and handshake: take what we are allowed */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The cache is written as temp file + rename: its directory must be writable. */
static void warn_unwritable_cache(const struct config *c)
{
	char dir[4096], *slash;

	if (!c->cache || !*c->cache)
		return;
	snprintf(dir, sizeof(dir), "%s", c->cache);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK) < 0)
		log_warn("%s: directory not writable (%s): the peer cache will not be saved", dir,
			 strerror(errno));
}

/*
 * Detaching happens before anything tied to this process is made: epoll
 * reports a signalfd ready only to the process that added it, so a loop built
 * before fork() never sees the child's signals (TERM, HUP, USR2 stay pending
 * for ever). The parent waits until the child is up, or has failed, and exits
 * with its status, so that `invpnd && ...` and init scripts see start-up
 * errors; until then the child logs on the caller's stderr.
 *
 * Returns, in the child, the pipe's write end for detach_done(), or -errno
 * (no fork happened: stay in the foreground).
 */
static int detach_begin(void)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;
	char ok;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		return p[1];
	}
	close(p[1]);
	do
		n = read(p[0], &ok, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	/* the child failed (it said why on stderr) or died: pass its status on */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : EXIT_CONFIG);
	fprintf(stderr, "invpnd: the daemon died during start-up (signal %d)\n",
		WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	_exit(EXIT_CONFIG);
}

/* In the child, once it is up: let the parent go, leave the terminal, log to syslog. */
static void detach_done(int fd, int log_level)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	log_init("invpnd", LOG_TARGET_SYSLOG, log_level);
	if (write(fd, "", 1) < 0)
		log_warn("cannot tell the starting process we are up: %s", strerror(errno));
	close(fd);
}

/* For SIGHUP: the file and the command line again, as at start (-v included). */
static int reread_config(struct config *c, void *arg, char *err, size_t errlen)
{
	const struct cmdline *cl = arg;
	int r = load_config(c, cl, err, errlen);

	if (r == 0 && cl->verbose)
		c->log_level = LOG_DEBUG;
	return r;
}

int main(int argc, char **argv)
{
	static struct invpnd d;
	struct privdrop drop;
	struct config cfg;
	struct cmdline cl;
	char err[CONFIG_ERR_SIZE + 512];
	int r, detach_fd = -1;
	bool reexec;

	if (config_parse_args(argc, argv, &cl, err, sizeof(err)) < 0) {
		fprintf(stderr, "invpnd: %s (see invpnd --help)\n", err);
		return EXIT_USAGE;
	}
	if (cl.help) {
		usage(stdout);
		return 0;
	}
	if (cl.version) {
		printf("invpnd %s (%s)\n", PACKAGE_VERSION, INVPN_FEATURES);
		return 0;
	}
	config_init(&cfg);
	if (load_config(&cfg, &cl, err, sizeof(err)) < 0) {
		fprintf(stderr, "invpnd: %s\n", err);
		config_fini(&cfg);
		return EXIT_CONFIG;
	}
	if (cl.verbose)
		cfg.log_level = LOG_DEBUG;
	log_init("invpnd", LOG_TARGET_STDERR, cfg.log_level);

	if (tls_init(&d.tls, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "invpnd: %s\n", err);
		config_fini(&cfg);
		return EXIT_CONFIG;
	}
	if (privdrop_resolve(&drop, cfg.user, cfg.group, err, sizeof(err)) < 0) {
		fprintf(stderr, "invpnd: %s\n", err);
		tls_fini(&d.tls);
		config_fini(&cfg);
		return EXIT_CONFIG;
	}
	/* after the user lookup: -n also says when `user` names nobody */
	if (cl.check_only) {
		char mac[MAC_STRLEN];

		printf("configuration OK: node %s\n", mac_format(d.tls.mac, mac));
		tls_fini(&d.tls);
		config_fini(&cfg);
		return 0;
	}
	raise_fd_limit();
	/* a SIGUSR2 re-exec is handed the TAP: it is already detached, if it ever was */
	reexec = cl.tunfd >= 0;
	if (!cl.foreground && reexec) {
		log_init("invpnd", LOG_TARGET_SYSLOG, cfg.log_level);
	} else if (!cl.foreground) {
		detach_fd = detach_begin();
		if (detach_fd < 0)
			log_warn("cannot detach: %s; staying in the foreground",
				 strerror(-detach_fd));
	}
	d.argv = argv;
	{
		/* the path, not /proc/self/exe: after an upgrade that names the old, deleted file */
		ssize_t n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1);

		d.exe[n > 0 ? n : 0] = '\0';
	}
	d.config_path = config_path_used(&cl);
	d.tunfd = cl.tunfd;
	d.ctlfd = cl.ctlfd;
	d.read_config = reread_config;
	d.read_config_arg = &cl;
	d.listenfd[0] = cl.listenfd[0];
	d.listenfd[1] = cl.listenfd[1];
	if (daemon_start(&d, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "invpnd: %s\n", err);
		tls_fini(&d.tls);
		config_fini(&cfg);
		return EXIT_CONFIG;
	}
	/* after a re-exec the interface kept its addresses: no second "up" */
	if (cfg.up && cl.tunfd < 0)
		script_run(&d, "up", cfg.up);
	/*
	 * members of the daemon's group may use invpnctl (the socket is 0660);
	 * a socket handed over by a re-exec has its group already (and we may
	 * no longer be allowed to set it)
	 */
	if (drop.enabled && cl.ctlfd < 0 && cfg.control && *cfg.control &&
	    chown(cfg.control, 0, drop.gid) < 0)
		log_warn("%s: cannot give the control socket to group %u: %s", cfg.control,
			 (unsigned)drop.gid, strerror(errno));
	if (privdrop_apply(&drop, err, sizeof(err)) < 0) {
		fprintf(stderr, "invpnd: %s\n", err);
		daemon_stop(&d);
		tls_fini(&d.tls);
		config_fini(&cfg);
		return EXIT_CONFIG;
	}
	if (drop.enabled)
		log_info("running as user %s (uid %u, gid %u)", drop.user, (unsigned)drop.uid,
			 (unsigned)drop.gid);
	warn_unwritable_cache(&cfg);
	if (detach_fd >= 0)
		detach_done(detach_fd, cfg.log_level);
	tls_warn_expiry(&d.tls, 30);
	notify_ready(&d);
	r = daemon_run(&d);
	if (r < 0)
		log_err("event loop: %s", strerror(-r));
	notify_stopping();
	if (cfg.down)
		script_run(&d, "down", cfg.down);
	daemon_stop(&d);
	tls_fini(&d.tls);
	config_fini(&cfg);
	log_notice("stopped");
	return r < 0 ? 1 : 0;
}
