/* Logging: levels, journald priority prefixes, syslog when detached, rate limits. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_STDERR,  /* timestamped lines */
	LOG_TARGET_JOURNAL, /* "<N>" priority prefixes, no timestamp (journald adds one) */
	LOG_TARGET_SYSLOG,
};

/** Choose the target (stderr picks journal itself when JOURNAL_STREAM matches) and level. */
void log_init(const char *ident, enum log_target target, int max_priority);
void log_set_level(int max_priority);
bool log_enabled(int priority);

/** Log one line at a syslog priority. Keeps errno. */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A token bucket for messages that bad input can trigger at packet rate. */
struct ratelimit {
	uint64_t window_start_ms;
	unsigned count;
	unsigned suppressed;
};

#define RATELIMIT_PER_WINDOW 10
#define RATELIMIT_WINDOW_MS 5000

/** True if a message may be logged now; counts suppressed ones and reports them later. */
bool ratelimit_ok(struct ratelimit *rl, uint64_t now_ms);

#define log_ratelimited(rl, now, prio, ...)           \
	do {                                          \
		if (ratelimit_ok((rl), (now)))        \
			log_msg((prio), __VA_ARGS__); \
	} while (0)
