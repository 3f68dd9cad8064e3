/*
 * An AvahiPoll over the daemon's loop, so avahi-client runs in our one
 * thread. Watches are aggregated per fd (libdbus watches one socket twice,
 * for reading and writing); freed watches and timeouts are swept after the
 * dispatch round, because Avahi frees them from inside callbacks.
 */
#pragma once

#include <avahi-common/watch.h>
#include <stddef.h>

struct loop;
struct avpoll;

struct avpoll *avpoll_new(struct loop *loop);
/** Free everything (call after the Avahi client is freed). */
void avpoll_free(struct avpoll *p);
const AvahiPoll *avpoll_api(struct avpoll *p);
/** Free the watches and timeouts Avahi released during the round. */
void avpoll_sweep(struct avpoll *p);

/** Live watches and armed timeouts: for tests and leak checks. */
size_t avpoll_live_watches(const struct avpoll *p);
size_t avpoll_live_timeouts(const struct avpoll *p);
