/* systemd: READY, STATUS and watchdog pings (libsystemd's sd_notify). No-ops elsewhere. */
#pragma once

struct invpnd;

/** Tell systemd we are ready and start watchdog pings if it wants them. */
void notify_ready(struct invpnd *d);
/** Update the STATUS line if the numbers changed. */
void notify_status(struct invpnd *d);
void notify_stopping(void);
void notify_reloading(void);
