/*
 * notify.h without libsystemd (meson -Dsystemd=disabled, or no libsystemd):
 * nothing is sent. If systemd is listening, say once that it will hear
 * nothing: a Type=notify unit would wait for READY=1 until its start times
 * out (the units installed by such a build are Type=exec).
 */
#include "notify.h"

#include <stdbool.h>
#include <stdlib.h>

#include "daemon.h"
#include "log.h"

void notify_ready(struct invpnd *d)
{
	static bool warned;

	if (warned || !getenv("NOTIFY_SOCKET"))
		return;
	warned = true;
	log_warn("systemd: NOTIFY_SOCKET is set, but invpnd was built without libsystemd: "
		 "no readiness, status or watchdog notifications (use Type=exec)");
}

void notify_status(struct invpnd *d)
{
}

void notify_stopping(void)
{
}

void notify_reloading(void)
{
}
