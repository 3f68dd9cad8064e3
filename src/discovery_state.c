/*
 * The parts of mDNS and DNS discovery that need neither Avahi nor c-ares:
 * state names for the control socket and the set of services seen. Built
 * whether or not those libraries are.
 */
#include <string.h>

#include "mdns.h"
#include "resolve.h"

static const char *const state_names[MDNS_STATE_COUNT] = {
	"off", "no_dbus", "no_daemon", "registering", "published", "browsing", "failed",
};

const char *mdns_state_name(enum mdns_state s)
{
	return s < MDNS_STATE_COUNT ? state_names[s] : "?";
}

void mdns_seen_add(struct mdns_seen *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i].name, name)) {
			s->v[i].refs++;
			return;
		}
	}
	if (s->n == MDNS_MAX_SEEN || strlen(name) >= sizeof(s->v[0].name))
		return;
	strcpy(s->v[s->n].name, name);
	s->v[s->n++].refs = 1;
}

void mdns_seen_remove(struct mdns_seen *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name))
			continue;
		if (--s->v[i].refs == 0)
			s->v[i] = s->v[--s->n];
		return;
	}
}

const char *resolve_state_name(const struct resolve_info *ri)
{
	/* a refresh in flight still has the last answer: show that */
	if (ri->done)
		return ri->ok ? "ok" : "failed";
	return "resolving";
}
