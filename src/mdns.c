#include "mdns.h"

#include <arpa/inet.h>
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "avahi_poll.h"
#include "config.h"
#include "discovery.h"
#include "log.h"
#include "loop.h"
#include "nodes.h"
#include "util.h"

struct mdns {
	struct discovery_env *env;
	struct avpoll *poll;
	AvahiClient *client;
	AvahiEntryGroup *group;
	AvahiServiceBrowser *browser;
	char *name; /* our service name; changes on collisions */
	struct loop_timer retry;
	unsigned retry_ms;
	bool warned_no_bus, warned_no_daemon;
	unsigned found; /* addresses resolved into the directory */
	/* for invpnctl status */
	enum mdns_state state;
	const char *error; /* avahi_strerror's static strings, or our own literals */
	bool browsing;
	struct mdns_seen seen; /* other nodes' services the browser reports now */
};

/* Services through our own TAP are nodes reached over the mesh itself. */
static bool through_mesh(const struct mdns *m, AvahiIfIndex iface, AvahiLookupResultFlags flags)
{
	return (flags & AVAHI_LOOKUP_RESULT_OUR_OWN) ||
	       (iface > 0 && (unsigned)iface == if_nametoindex(m->env->tap_name));
}

static void create_client(struct mdns *m);

static bool publishing(const struct mdns *m)
{
	/* nodes that take no incoming links must not be found */
	return !m->env->cfg->no_incoming && !m->env->cfg->no_relay;
}

static void on_retry(struct loop_timer *t)
{
	struct mdns *m = container_of(t, struct mdns, retry);

	create_client(m);
}

static void schedule_retry(struct mdns *m)
{
	m->retry_ms = m->retry_ms ? m->retry_ms * 2 : MDNS_RETRY_MIN_MS;
	if (m->retry_ms > MDNS_RETRY_MAX_MS)
		m->retry_ms = MDNS_RETRY_MAX_MS;
	loop_timer_arm(m->env->loop, &m->retry, m->retry_ms, on_retry);
}

static void add_service(struct mdns *m);

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
	struct mdns *m = arg;

	log_debug("mdns: entry group state %d", (int)state);
	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		log_info("mdns: published %s as '%s'", MDNS_SERVICE, m->name);
		m->state = MDNS_PUBLISHED;
		break;
	case AVAHI_ENTRY_GROUP_COLLISION: {
		char *alt = avahi_alternative_service_name(m->name);

		log_notice("mdns: service name '%s' taken, using '%s'", m->name, alt);
		avahi_free(m->name);
		m->name = alt;
		m->state = MDNS_REGISTERING;
		avahi_entry_group_reset(g);
		add_service(m);
		break;
	}
	case AVAHI_ENTRY_GROUP_FAILURE:
		m->error = avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g)));
		m->state = MDNS_FAILED;
		log_warn("mdns: publishing failed: %s", m->error);
		break;
	default:
		break;
	}
}

static void add_service(struct mdns *m)
{
	char mac[MAC_STRLEN], txt_mac[32];
	int r;

	if (!m->group) {
		m->group = avahi_entry_group_new(m->client, group_cb, m);
		if (!m->group) {
			m->error = avahi_strerror(avahi_client_errno(m->client));
			m->state = MDNS_FAILED;
			log_warn("mdns: cannot create an entry group: %s", m->error);
			return;
		}
	}
	snprintf(txt_mac, sizeof(txt_mac), "mac=%s", mac_format(m->env->mac, mac));
	for (int tries = 0; tries < 10; tries++) {
		r = avahi_entry_group_add_service(m->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
						  m->name, MDNS_SERVICE, NULL, NULL,
						  m->env->cfg->port, txt_mac, "v=1", NULL);
		if (r != AVAHI_ERR_COLLISION)
			break;
		char *alt = avahi_alternative_service_name(m->name);

		avahi_free(m->name);
		m->name = alt;
	}
	if (r < 0 || (r = avahi_entry_group_commit(m->group)) < 0) {
		m->error = avahi_strerror(r);
		m->state = MDNS_FAILED;
		log_warn("mdns: cannot publish '%s': %s", m->name, m->error);
	}
}

/* A resolved service: its address becomes a candidate for the MAC in its TXT. */
static void resolve_cb(AvahiServiceResolver *res, AvahiIfIndex iface, AvahiProtocol proto,
		       AvahiResolverEvent event, const char *name, const char *type,
		       const char *domain, const char *host, const AvahiAddress *addr,
		       uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags, void *arg)
{
	struct mdns *m = arg;
	AvahiStringList *e;
	char *key = NULL, *value = NULL;
	uint8_t mac[MAC_LEN];
	struct sockaddr_storage ss;
	socklen_t len;
	bool have_mac = false;

	if (event != AVAHI_RESOLVER_FOUND || port == 0)
		goto out;
	e = avahi_string_list_find(txt, "mac");
	if (e && avahi_string_list_get_pair(e, &key, &value, NULL) == 0 && value &&
	    mac_parse(value, mac) == 0 && mac_is_node(mac))
		have_mac = true;
	avahi_free(key);
	avahi_free(value);
	if (!have_mac) {
		log_debug("mdns: '%s' has no valid mac= in TXT: ignored", name);
		goto out;
	}
	if (mac_eq(mac, m->env->mac))
		goto out;
	/* a service answered through loopback is never another node */
	if ((addr->proto == AVAHI_PROTO_INET && (ntohl(addr->data.ipv4.address) >> 24) == 127) ||
	    (addr->proto == AVAHI_PROTO_INET6 &&
	     IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)addr->data.ipv6.address)))
		goto out;
	if (addr->proto == AVAHI_PROTO_INET) {
		len = addr_make(&ss, AF_INET, &addr->data.ipv4.address, port, 0);
	} else {
		const struct in6_addr *ip6 = (const struct in6_addr *)addr->data.ipv6.address;

		/* a link-local address is only meaningful with its interface */
		len = addr_make(&ss, AF_INET6, ip6, port,
				IN6_IS_ADDR_LINKLOCAL(ip6) ? (uint32_t)iface : 0);
	}
	if (nodes_add(m->env->nodes, mac, (struct sockaddr *)&ss, len, NODE_SRC_MDNS,
		      loop_wall_ms())) {
		char shown[64], ms[MAC_STRLEN];

		m->found++;
		addr_format((struct sockaddr *)&ss, shown, sizeof(shown));
		log_info("mdns: found %s at %s", mac_format(mac, ms), shown);
		m->env->learned(m->env);
	}
out:
	avahi_service_resolver_free(res);
}

static void browse_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
		      AvahiBrowserEvent event, const char *name, const char *type,
		      const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	struct mdns *m = arg;

	switch (event) {
	case AVAHI_BROWSER_NEW:
		/* dialling those through the TAP would tunnel the VPN through itself */
		if (through_mesh(m, iface, flags))
			return;
		mdns_seen_add(&m->seen, name);
		if (!avahi_service_resolver_new(m->client, iface, proto, name, type, domain,
						AVAHI_PROTO_UNSPEC, 0, resolve_cb, m))
			log_debug("mdns: cannot resolve '%s': %s", name,
				  avahi_strerror(avahi_client_errno(m->client)));
		break;
	case AVAHI_BROWSER_REMOVE:
		/* liveness comes from the links, not from mDNS: nothing is torn down */
		log_debug("mdns: '%s' no longer advertised", name);
		if (!through_mesh(m, iface, flags))
			mdns_seen_remove(&m->seen, name);
		break;
	case AVAHI_BROWSER_FAILURE:
		m->error = avahi_strerror(avahi_client_errno(m->client));
		m->browsing = false;
		log_warn("mdns: browsing failed: %s", m->error);
		break;
	default:
		break;
	}
}

static void forget_client(struct mdns *m)
{
	/* the group and browser die with the client */
	if (m->client)
		avahi_client_free(m->client);
	m->client = NULL;
	m->group = NULL;
	m->browser = NULL;
	/* a new browser reports every service again */
	m->browsing = false;
	m->seen.n = 0;
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	struct mdns *m = arg;

	/* callbacks come from inside avahi_client_new, before it returns */
	m->client = c;
	log_debug("mdns: client state %d", (int)state);
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if (m->warned_no_daemon || m->warned_no_bus)
			log_notice("mdns: avahi-daemon is there now");
		m->warned_no_daemon = m->warned_no_bus = false;
		m->retry_ms = 0;
		m->error = NULL;
		m->state = publishing(m) ? MDNS_REGISTERING : MDNS_BROWSING;
		if (publishing(m))
			add_service(m);
		if (!m->browser) {
			m->browser = avahi_service_browser_new(c, AVAHI_IF_UNSPEC,
							       AVAHI_PROTO_UNSPEC, MDNS_SERVICE,
							       NULL, 0, browse_cb, m);
			if (!m->browser) {
				m->error = avahi_strerror(avahi_client_errno(c));
				log_warn("mdns: cannot browse: %s", m->error);
			}
		}
		m->browsing = m->browser != NULL;
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* the host name changes: publish again once running */
		if (m->group)
			avahi_entry_group_reset(m->group);
		if (publishing(m))
			m->state = MDNS_REGISTERING;
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (!m->warned_no_daemon)
			log_warn("mdns: avahi-daemon is not running; waiting for it (other "
				 "discovery goes on)");
		m->warned_no_daemon = true;
		m->state = MDNS_NO_DAEMON;
		m->error = "avahi-daemon is not running";
		break;
	case AVAHI_CLIENT_FAILURE:
		m->error = avahi_strerror(avahi_client_errno(c));
		m->state = MDNS_NO_DAEMON;
		log_warn("mdns: lost avahi-daemon (%s); reconnecting", m->error);
		forget_client(m);
		/* not from inside the callback's caller: from the next loop round */
		loop_timer_arm(m->env->loop, &m->retry, 0, on_retry);
		break;
	default:
		break;
	}
}

static void create_client(struct mdns *m)
{
	int err = 0;
	AvahiClient *c;

	if (m->client)
		return;
	c = avahi_client_new(avpoll_api(m->poll), AVAHI_CLIENT_NO_FAIL, client_cb, m, &err);
	if (c) {
		m->client = c;
		return;
	}
	/* with NO_FAIL this means: no D-Bus system bus at all */
	m->client = NULL;
	m->state = MDNS_NO_DBUS;
	m->error = avahi_strerror(err);
	if (!m->warned_no_bus)
		log_warn("mdns: cannot reach D-Bus (%s); mDNS discovery is off until it is "
			 "there (retrying)",
			 m->error);
	m->warned_no_bus = true;
	schedule_retry(m);
}

struct mdns *mdns_start(struct discovery_env *env)
{
	const uint8_t *mac = env->mac;
	struct mdns *m;
	char name[64];

	if (!env->cfg->mdns)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->poll = avpoll_new(env->loop))) {
		free(m);
		log_warn("mdns: out of memory; mDNS discovery is off");
		return NULL;
	}
	m->env = env;
	snprintf(name, sizeof(name), "invpn %02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	m->name = avahi_strdup(name);
	/* until Avahi says more (its first callback comes from avahi_client_new) */
	m->state = MDNS_NO_DAEMON;
	create_client(m);
	return m;
}

void mdns_get_info(const struct mdns *m, struct mdns_info *out)
{
	uint64_t now = loop_clock_ms();

	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	out->state = m->state;
	out->service_name = publishing(m) ? m->name : NULL;
	out->browsing = m->browsing;
	out->services = m->seen.n;
	out->found = m->found;
	out->error = m->error;
	if (m->retry.armed) {
		out->retrying = true;
		out->retry_in_ms = m->retry.when_ms > now ? m->retry.when_ms - now : 0;
	}
}

void mdns_after_round(struct mdns *m)
{
	if (m)
		avpoll_sweep(m->poll);
}

void mdns_stop(struct mdns *m)
{
	if (!m)
		return;
	loop_timer_cancel(m->env->loop, &m->retry);
	forget_client(m);
	avpoll_free(m->poll);
	avahi_free(m->name);
	free(m);
}
