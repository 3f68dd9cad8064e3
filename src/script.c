#include "script.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

int script_run(struct invpnd *d, const char *what, const char *command)
{
	char mac[MAC_STRLEN], mtu[16];
	sigset_t all, old;
	pid_t pid;
	int status;

	snprintf(mtu, sizeof(mtu), "%u", d->cfg->mtu);
	mac_format(d->mac, mac);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		/* the child gets the signals the daemon blocks for its signalfd back */
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setenv("INTERFACE", d->tap.name, 1);
		setenv("MAC", mac, 1);
		setenv("MTU", mtu, 1);
		if (d->config_path)
			setenv("INVPN_CONFIG", d->config_path, 1);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_warn("%s script: fork: %s", what, strerror(errno));
		return -errno;
	}
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= SCRIPT_TIMEOUT_MS) {
			log_warn("%s script: still running after %d s: killed", what,
				 SCRIPT_TIMEOUT_MS / 1000);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status))
			log_warn("%s script exited with status %d", what, WEXITSTATUS(status));
		else
			log_info("%s script done", what);
		return WEXITSTATUS(status);
	}
	log_warn("%s script killed by signal %d", what, WTERMSIG(status));
	return -EINTR;
}
