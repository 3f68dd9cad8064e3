#include "notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

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
	long long crl = tls_crl_next_update(&d->tls), now = (long long)time(NULL);
	const char *warn = "";
	char msg[192];

	if (d->notified_up == d->links.n_up && d->notified_routes == d->routes.count)
		return;
	d->notified_up = d->links.n_up;
	d->notified_routes = d->routes.count;
	/* the status line systemctl shows: the CRL's life where the operator looks */
	if (crl && crl < now)
		warn = "; CRL EXPIRED (still enforced): run invpn-pki crl, copy, reload";
	else if (crl && crl < now + TLS_CRL_WARN_DAYS * 86400LL)
		warn = "; CRL expires within 7 days: run invpn-pki crl, copy, reload";
	snprintf(msg, sizeof(msg), "STATUS=%zu link(s), %zu route(s)%s", d->links.n_up,
		 d->routes.count, warn);
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
