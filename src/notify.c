#include "notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "util.h"

static void on_watchdog(struct loop_timer *t)
{
	struct invpnd *d = container_of(t, struct invpnd, watchdog_timer);

	sd_notify(0, "WATCHDOG=1");
	loop_timer_arm(&d->loop, t, d->watchdog_ms, on_watchdog);
}

void notify_status(struct invpnd *d)
{
	char msg[128];

	if (d->notified_up == d->links.n_up && d->notified_routes == d->routes.count)
		return;
	d->notified_up = d->links.n_up;
	d->notified_routes = d->routes.count;
	snprintf(msg, sizeof(msg), "STATUS=%zu link(s), %zu route(s)", d->links.n_up, d->routes.count);
	sd_notify(0, msg);
}

void notify_ready(struct invpnd *d)
{
	uint64_t usec = 0;

	d->notified_up = (size_t)-1;
	sd_notify(0, "READY=1");
	notify_status(d);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		/* ping twice per period */
		d->watchdog_ms = usec / 2000;
		loop_timer_arm(&d->loop, &d->watchdog_timer, d->watchdog_ms, on_watchdog);
	}
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void notify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}
