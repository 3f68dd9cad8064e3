#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_target log_target = LOG_TARGET_STDERR;
static int log_level = LOG_INFO;

/* journald sets JOURNAL_STREAM=dev:ino of the stream it gave us as stderr. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(const char *ident, enum log_target target, int max_priority)
{
	if (target == LOG_TARGET_STDERR && stderr_is_journal())
		target = LOG_TARGET_JOURNAL;
	log_target = target;
	log_level = max_priority;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int max_priority)
{
	log_level = max_priority;
}

bool log_enabled(int priority)
{
	return priority <= log_level;
}

static const char *prio_name(int priority)
{
	static const char *const names[] = {"emerg",   "alert",	 "crit", "error",
					    "warning", "notice", "info", "debug"};
	return priority >= 0 && priority <= LOG_DEBUG ? names[priority] : "?";
}

void log_msg(int priority, const char *fmt, ...)
{
	int saved_errno = errno;
	char line[1024];
	va_list ap;

	if (!log_enabled(priority))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	switch (log_target) {
	case LOG_TARGET_SYSLOG:
		syslog(priority, "%s", line);
		break;
	case LOG_TARGET_JOURNAL:
		fprintf(stderr, "<%d>%s\n", priority, line);
		break;
	case LOG_TARGET_STDERR: {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp, ts.tv_nsec / 1000000,
			prio_name(priority), line);
		break;
	}
	}
	errno = saved_errno;
}

bool ratelimit_ok(struct ratelimit *rl, uint64_t now_ms)
{
	if (now_ms - rl->window_start_ms >= RATELIMIT_WINDOW_MS) {
		if (rl->suppressed)
			log_msg(LOG_NOTICE, "(%u similar messages suppressed)", rl->suppressed);
		rl->window_start_ms = now_ms;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count < RATELIMIT_PER_WINDOW) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}
