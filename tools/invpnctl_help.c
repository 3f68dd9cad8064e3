/*
 * invpnctl: the manual (invpnctl --help) and each command's help with the
 * reference of its --json keys. The keys listed here are a stable interface:
 * add keys if needed, never rename or remove one.
 */
#include "invpnctl.h"

#include <string.h>

struct command_help {
	const char *name, *usage, *summary, *text;
};

#define WAIT_TEXT                                                                          \
	"  -w, --wait S  collect answers for S seconds (default 2, more than 0, at most\n" \
	"                60); invpnctl gives up waiting for the reply S + 5 seconds\n"     \
	"                after sending the request\n"

#define ANSWER_KEYS                                                                      \
	"      mac      string  the answering node\n"                                    \
	"      rtt_ms   number  milliseconds from sending the request to this answer\n"  \
	"      hops     int     links the request crossed to reach the node\n"           \
	"                       (length of trace + 1)\n"                                 \
	"      links    [MAC]   the peer MAC of each of the node's links that is up\n"   \
	"      routes   [{mac, via}]  the node's routes: destination, and the peer\n"    \
	"                       (next hop) it goes through\n"                            \
	"      trace    [MAC]   the forward path, without both ends: the nodes that\n"   \
	"                       forwarded the request before it reached this node\n"     \
	"      rtrace   [MAC]   the return path: the answering node first, then every\n" \
	"                       node that forwarded the answer back (without the asker)\n"

#define ROUND_KEYS                                                                         \
	"    ok         true\n"                                                            \
	"    command    \"health\"\n"                                                      \
	"    id         int     the round's broadcast id\n"                                \
	"    wait_ms    int     how long the daemon collected answers\n"                   \
	"    self       object  this node, as it would answer (the keys of an answer,\n"   \
	"                       with hops 0, rtt_ms 0, trace [], rtrace [its MAC])\n"      \
	"    answers_duplicate  int  answers not kept: a node that had answered already\n" \
	"    answers_dropped    int  answers not kept: past the round's bounds (4096\n"    \
	"                       answers, 4 MiB)\n"                                         \
	"    answers_unknown    int  answers not kept: from a node with no route here\n"   \
	"    answers    [object]  one per node that answered (the first answer),\n"        \
	"                       in arrival order:\n" ANSWER_KEYS

static const struct command_help commands[] = {
	{
		"status",
		"invpnctl [-s SOCKET] [--json] [--wide] status",
		"this node: MAC, links, discovery, counters",
		"Shows this node as a list of key: value lines: its MAC, version, TAP\n"
		"interface, listening port, uptime, links (up and pending, and the\n"
		"min_links/max_links it keeps), routes, known addresses, mdns (off,\n"
		"no D-Bus system bus or waiting for avahi-daemon (retrying), registering,\n"
		"published or browsing only, and how many other nodes' services it sees),\n"
		"dns (each seed name and SRV domain: resolving, how many addresses, or\n"
		"failed and why, and when the next lookup is), frames and bytes read from\n"
		"and written to the interface, dropped frames by reason, bad frames,\n"
		"refused links and when the certificates expire. Long values wrap to fit\n"
		"100 columns (not with --wide).\n"
		"\n"
		"JSON keys (--json):\n"
		"    ok             true\n"
		"    command        \"status\"\n"
		"    version        string  invpnd's version\n"
		"    mac            string  this node's MAC (from its certificate)\n"
		"    interface      string  the TAP interface\n"
		"    port           int     the listening port\n"
		"    listening      bool    whether it listens at all\n"
		"    uptime_s       int     seconds since invpnd started\n"
		"    links          int     links that are up\n"
		"    links_pending  int     links connecting or in the TLS handshake\n"
		"    min_links      int     links it keeps at least\n"
		"    max_links      int     links it allows at most\n"
		"    routes         int     routes in the route table\n"
		"    routes_changed_ms int  when that number last changed (Unix time, ms)\n"
		"    nodes          int     addresses in the node directory\n"
		"    flood_interval_ms int  how often it floods its announcement now (it\n"
		"                           grows with the mesh, up to announce_interval_max)\n"
		"    route_timeout_ms int   how long a route lives unrefreshed now\n"
		"    cert_expires   int     when this node's certificate expires (Unix time)\n"
		"    ca_expires     int     when the first of its CA certificates expires\n"
		"    mdns           object  mDNS discovery (mdns = yes):\n"
		"      state          string  \"off\" (mdns = no), \"no_dbus\" (no D-Bus system\n"
		"                             bus; retrying), \"no_daemon\" (no avahi-daemon on\n"
		"                             the bus; waiting for it), \"registering\",\n"
		"                             \"published\", \"browsing\" (no_incoming or\n"
		"                             no_relay: nothing published) or \"failed\"\n"
		"                             (publishing failed; browsing may go on)\n"
		"      service_name   string|null  the name it publishes (null if it does not)\n"
		"      browsing       bool    the browser for _invpn._tcp runs\n"
		"      services       int     other nodes' services seen now (distinct names)\n"
		"      resolved       int     services resolved into addresses since start\n"
		"      error          string|null  the last problem (null when all is well)\n"
		"      retry_in_s     int|null  seconds until it tries D-Bus or avahi-daemon\n"
		"                             again (null: no retry scheduled)\n"
		"    dns            [object]  one per seed name (init) and SRV domain (srv),\n"
		"                             in configuration order ([] if none):\n"
		"      name           string  the host name, or \"_invpn._tcp.DOMAIN\"\n"
		"      type           string  \"seed\" or \"srv\"\n"
		"      state          string  \"resolving\" (no answer yet), \"ok\" or \"failed\"\n"
		"                             (the last lookup's result)\n"
		"      resolving      bool    a lookup is in flight now\n"
		"      addresses      int     addresses the last lookup gave (srv: of all its\n"
		"                             targets)\n"
		"      targets        int|null  srv: usable SRV targets in the last answer\n"
		"      fails          int     failed lookups in a row\n"
		"      error          string|null  why the last lookup failed\n"
		"      next_lookup_s  int|null  seconds until the next lookup (a refresh, or a\n"
		"                             retry after a failure); null while resolving\n"
		"    counters       object  totals since start (all int):\n"
		"      tap_rx_frames, tap_rx_bytes   frames/bytes read from the interface\n"
		"      tap_tx_frames, tap_tx_bytes   frames/bytes written to the interface\n"
		"      drop_foreign_src     frames from the interface with another source MAC\n"
		"      drop_no_route        frames for a MAC with no route\n"
		"      drop_queue_full      frames dropped because a link's queue was full\n"
		"      drop_duplicate       flooded frames seen before\n"
		"      drop_unknown_origin  flooded frames from an origin with no route\n"
		"      drop_tap_write       frames the interface did not take\n"
		"      drop_offload         super-frames or checksums that could not be handled\n"
		"      bad_frames           malformed frames received\n"
		"      drop_future_id       flooded frames with an id over 60 s ahead of our clock\n"
		"      drop_reverse_path    frames for an origin from a link not on its path\n"
		"      drop_not_direct      INFO about a linked peer that came from another link\n"
		"      drop_new_origins     INFO about new nodes past its link's rate\n"
		"      drop_routes_full     INFO about new nodes with no room left for them\n"
		"      drop_health_rate     HEALTH REQUESTs past their origin's rate\n"
		"      drop_spoofed_src     unicast frames with our own or a group source MAC\n"
		"      refused_rebind       claims of another MAC for a seed or a linked address\n"
		"      refused_address      claimed addresses never dialled (loopback, own, ...)\n"
		"      links_refused        links refused (limits, identity)\n"
		"      keepalives           its last announcement resent on a quiet link\n"
		"      refreshes            fresh announcements a lower DEGREE, a GONE or a\n"
		"                           drain asked for (one per announce_interval at most)\n"
		"      rounds_joined        its announcement sent early, with another node's\n"
		"                           fresh one (one per half flood interval at most)\n"
		"      sig_ok, sig_bad      signed announcements verified, and refused (bad\n"
		"                           signature); sig_cached: taken again unverified\n"
		"      sig_no_cert          ... from an origin whose certificate was asked for\n"
		"      cert_ok, cert_bad    certificates fetched and verified, and refused\n"
		"      unsigned_refused     unsigned announcements about a MAC seen signed\n"
		"                           (or any, with require_signed)\n"
		"      certs_cached         certificates held (direct peers and fetched)\n",
	},
	{
		"peers",
		"invpnctl [-s SOCKET] [--json] [--wide] peers",
		"each link: peer, address, state, traffic",
		"Shows a table with one row per link (sorted by peer MAC): PEER (its MAC, \"-\"\n"
		"until the handshake is done), ADDRESS, DIR (out: this node dialled, in: the\n"
		"peer did), STATE, AGE (since up, or since created if not up yet), RX BYTES\n"
		"and TX BYTES (received and sent) and DROPS (frames dropped because the\n"
		"link's queue was full). With --wide also the TLS version and CIPHER, RX\n"
		"FRAMES and TX FRAMES, and QUEUED (bytes waiting to be sent). Without\n"
		"--wide the table fits 100 columns: with very long addresses DROPS, then\n"
		"TX BYTES, RX BYTES and AGE are left out.\n"
		"\n"
		"JSON keys (--json):\n"
		"    ok            true\n"
		"    command       \"peers\"\n"
		"    peers         [object]  one per link, in the daemon's order:\n"
		"      mac           string|null  peer MAC (null until the link is up)\n"
		"      address       string  the peer's address, \"IP:PORT\" or \"[IPv6]:PORT\"\n"
		"      direction     string  \"outgoing\" or \"incoming\"\n"
		"      state         string  \"connecting\", \"handshake\", \"up\" or \"closed\"\n"
		"      age_s         int     seconds since up (or since created, if not up)\n"
		"      tls_version   string|null  e.g. \"TLSv1.3\" (null until up)\n"
		"      cipher        string|null  e.g. \"TLS_AES_256_GCM_SHA384\" (null until up)\n"
		"      rx_frames, rx_bytes  int  received on this link\n"
		"      tx_frames, tx_bytes  int  sent on this link\n"
		"      drops         int     frames dropped because the queue was full\n"
		"      queued_bytes  int     bytes waiting in the output queue\n"
		"      draining      bool    being shed: no route goes into it, it closes\n"
		"                            once nothing does (see the README, Shape)\n",
	},
	{
		"routes",
		"invpnctl [-s SOCKET] [--json] [--wide] routes",
		"MAC -> next hop (MAC and address), age",
		"Shows the route table (sorted by destination): DESTINATION, the NEXT HOP\n"
		"peer and its address, AGE (since the route was learned) and UPDATED (the\n"
		"last fresh announcement that confirmed it). Without --wide the table fits\n"
		"100 columns: with very long addresses UPDATED, then AGE and NEXT HOP\n"
		"ADDRESS are left out.\n"
		"\n"
		"JSON keys (--json):\n"
		"    ok            true\n"
		"    command       \"routes\"\n"
		"    routes        [object]  one per route:\n"
		"      mac           string  the destination node\n"
		"      via           string  the peer (next hop) frames for it are sent to\n"
		"      via_address   string  that peer's address\n"
		"      signed        bool    learned from a verified signed announcement\n"
		"      age_s         int     seconds since the route was learned\n"
		"      updated_s     int     seconds since it was last refreshed\n",
	},
	{
		"nodes",
		"invpnctl [-s SOCKET] [--json] [--wide] nodes",
		"known addresses, where learned, fails, retry",
		"Shows the node directory, the addresses the daemon may dial (sorted by MAC):\n"
		"NODE (\"-\" for a seed whose MAC is not known yet), ADDRESS, LEARNED FROM\n"
		"(every source: config, mesh, cache, mdns, dns), FAILS (dial failures in a\n"
		"row), LAST SUCCESS (time since a link through it last came up: one this\n"
		"node dialled, or one the node dialled in from, at its announced port) and\n"
		"RETRY (\"dialing\" now, or when the next attempt is due). Without --wide\n"
		"the table fits 100 columns: with very long addresses RETRY, then FAILS,\n"
		"LAST SUCCESS and LEARNED FROM are left out.\n"
		"\n"
		"JSON keys (--json):\n"
		"    ok            true\n"
		"    command       \"nodes\"\n"
		"    nodes         [object]  one per address:\n"
		"      mac           string|null  the node's MAC (null if not known yet)\n"
		"      address       string  \"IP:PORT\" or \"[IPv6]:PORT\"\n"
		"      source        string  the best of its sources: \"config\", \"mesh\", \"cache\",\n"
		"                            \"mdns\" or \"dns\" (in that order)\n"
		"      sources       array   every source it was learned from (strings as above)\n"
		"      fails         int     failed dials in a row\n"
		"      last_success  int|null  Unix time (s) a link through it last came up:\n"
		"                            dialled by this node, or an incoming link from\n"
		"                            the node whose announced port at the address it\n"
		"                            came from is this address (null: never)\n"
		"      dialing       bool    a dial is in progress\n"
		"      retry_in_s    int     seconds until the next dial may start (0: now)\n",
	},
	{
		"metrics",
		"invpnctl [-s SOCKET] [--json] metrics",
		"the Prometheus text the metrics key serves",
		"Prints the node's metrics in the Prometheus text format, the same text\n"
		"that invpnd serves at http://ADDRESS:PORT/metrics when the metrics key is\n"
		"set (it needs not be: the text comes over the control socket). For\n"
		"node_exporter's textfile collector, write it atomically:\n"
		"    invpnctl metrics > DIR/invpn.prom.$$ && mv DIR/invpn.prom.$$ DIR/invpn.prom\n"
		"See invpn.conf(5), metrics, for every metric.\n"
		"\n"
		"JSON keys (--json):\n"
		"    ok            true\n"
		"    command       \"metrics\"\n"
		"    text          string  the whole text, lines ending in a newline\n",
	},
	{
		"health",
		"invpnctl [-s SOCKET] [--json] [--wide] health [--wait S]",
		"ask the whole mesh, list every node that answers",
		"Floods a HEALTH REQUEST (0x02) through the mesh and collects the answers\n"
		"(0x03) for S seconds. Shows a table sorted by hops then MAC, this node\n"
		"first: NODE, HOPS (links between this node and it), RTT (round trip),\n"
		"LINKS (its links that are up) and ROUTES (its routes), then the line\n"
		"\"N nodes answered in S s\" (N counts this node).\n"
		"\n"
		"Options:\n" WAIT_TEXT "\n"
		"JSON keys (--json): the daemon's reply, as is:\n" ROUND_KEYS,
	},
	{
		"traceroute",
		"invpnctl [-s SOCKET] [--json] traceroute MAC [--wait S]",
		"forward and return path to MAC",
		"Runs a health round and shows the path the request took to MAC (forward,\n"
		"hop by hop, ending with MAC) and the path MAC's answer took back (return,\n"
		"hop by hop, ending with this node), with the round trip. If MAC did not\n"
		"answer within S seconds, says so on stderr and exits with status 1.\n"
		"Paths follow each node's first-seen broadcast route, so forward and\n"
		"return paths may differ.\n"
		"\n"
		"Options:\n" WAIT_TEXT "\n"
		"JSON keys (--json); printed also when MAC did not answer (exit status 1):\n"
		"    ok         true\n"
		"    command    \"traceroute\"\n"
		"    target     string  MAC (lowercase)\n"
		"    self       string|null  this node's MAC\n"
		"    answered   bool    whether MAC answered within the wait\n"
		"    rtt_ms     number|null  round trip in milliseconds (null: no answer)\n"
		"    wait_ms    int     how long the daemon collected answers\n"
		"    forward    [MAC]   forward path hop by hop, ending with the target\n"
		"                       ([] if no answer, or if MAC is this node)\n"
		"    return     [MAC]   return path hop by hop, ending with this node\n"
		"                       ([] if no answer, or if MAC is this node)\n",
	},
	{
		"graph",
		"invpnctl [-s SOCKET] [--json] graph [--wait S]",
		"the mesh's links as Graphviz DOT",
		"Runs a health round and prints the mesh as an undirected Graphviz graph\n"
		"(\"graph invpn { ... }\"): one box per node labelled with its MAC, this node\n"
		"filled (style=filled), nodes that are only known as someone's peer (they\n"
		"did not answer) dashed (style=dashed), and each link once. Render it with\n"
		"e.g.\n"
		"    invpnctl graph | dot -Tsvg > mesh.svg\n"
		"\n"
		"Options:\n" WAIT_TEXT "\n"
		"JSON keys (--json):\n"
		"    ok         true\n"
		"    command    \"graph\"\n"
		"    self       string|null  this node's MAC\n"
		"    wait_ms    int     how long the daemon collected answers\n"
		"    nodes      [MAC]   every node seen (answered, or a peer of one), sorted\n"
		"    answered   [MAC]   the nodes that answered, this node included, sorted\n"
		"    edges      [[MAC, MAC]]  each link once, as [a, b] with a < b, sorted\n",
	},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void ictl_help_main(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    invpnctl - ask invpnd and the invpn mesh how they are doing\n"
		"\n"
		"SYNOPSIS\n"
		"    invpnctl [-s SOCKET] [--json] [--wide] COMMAND [ARGS]\n"
		"    invpnctl help [COMMAND]\n"
		"    invpnctl COMMAND --help\n"
		"\n"
		"DESCRIPTION\n"
		"    invpnctl talks to the local invpnd over its control socket. It sends\n"
		"    one request, reads one JSON reply and prints it for people (aligned\n"
		"    tables, ages such as 3s, 5m12s or 2h3m, bytes in B, KiB, MiB, \"-\"\n"
		"    for an absent value) or, with --json, as JSON for programs. Tables fit\n"
		"    100 columns: each shows its most useful columns (long values wrap);\n"
		"    --wide shows every column.\n"
		"\n"
		"    status, peers, routes and nodes show what this node knows. health,\n"
		"    traceroute and graph flood a HEALTH REQUEST through the whole mesh\n"
		"    and show the answers that come back within the wait time.\n"
		"\n"
		"    The --json output of each command has stable, documented keys: see\n"
		"    invpnctl help COMMAND. Options may also follow the command.\n"
		"\n"
		"OPTIONS\n"
		"    -s, --socket PATH  the control socket (default: $INVPN_SOCKET if set,\n"
		"                       else %s)\n"
		"    -j, --json         print JSON instead of tables\n"
		"        --wide         every column of a table, however wide (without it,\n"
		"                       tables fit %d columns)\n"
		"    -w, --wait S       health, traceroute, graph: collect answers for S\n"
		"                       seconds (default %g, more than 0, at most %g)\n"
		"    -h, --help         this manual; with a command, that command's help\n"
		"    -V, --version      print the version\n"
		"\n"
		"COMMANDS\n",
		CTL_DEFAULT_SOCKET, ICTL_WIDTH, CTL_DEFAULT_WAIT_MS / 1000.0,
		CTL_MAX_WAIT_MS / 1000.0);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *args = strstr(commands[i].usage, commands[i].name);
		char left[64];

		snprintf(left, sizeof(left), "%s", args ? args : commands[i].name);
		fprintf(f, "    %-26s %s\n", left, commands[i].summary);
	}
	fprintf(f,
		"    %-26s %s\n"
		"\n"
		"    A request to the daemon is answered within 5 s (status, peers,\n"
		"    routes, nodes) or the wait time + 5 s (health, traceroute, graph);\n"
		"    past that, invpnctl gives up with exit status 1.\n"
		"\n"
		"EXIT STATUS\n"
		"    0  success\n"
		"    1  invpnd is not running or cannot be reached, it did not reply in\n"
		"       time or replied with an error, or the traceroute target did not\n"
		"       answer\n"
		"    2  usage error: unknown command or option, bad MAC, bad --wait,\n"
		"       missing or extra argument\n"
		"\n"
		"ENVIRONMENT\n"
		"    INVPN_SOCKET  the control socket, unless -s is given\n"
		"\n"
		"EXAMPLES\n"
		"    invpnctl status\n"
		"    invpnctl -s /run/invpn/test.sock peers\n"
		"    invpnctl peers --wide\n"
		"    invpnctl health --wait 5\n"
		"    invpnctl traceroute 02:00:00:00:00:05\n"
		"    invpnctl graph | dot -Tsvg > mesh.svg\n"
		"    invpnctl --json routes | jq -r '.routes[] | \"\\(.mac) \\(.via)\"'\n"
		"    invpnctl --json health | jq '.answers | length'\n"
		"    invpnctl --json traceroute 02:00:00:00:00:05 | jq -r '.forward | join(\" \")'\n"
		"\n"
		"SEE ALSO\n"
		"    invpnd(8), invpnd --help, dot(1)\n",
		"help [COMMAND]", "this manual, or a command's help and JSON keys");
}

bool ictl_help_command(FILE *f, const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].name, name))
			continue;
		fprintf(f, "invpnctl %s - %s\n\nUsage: %s\n\n%s", commands[i].name,
			commands[i].summary, commands[i].usage, commands[i].text);
		fprintf(f, "\nCommon options: -s, --socket PATH; -j, --json; --wide (see invpnctl "
			   "--help).\n");
		return true;
	}
	return false;
}
