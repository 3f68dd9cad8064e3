/*
 * sim: many real invpn daemons in one process, on simulated links and a fake
 * clock (see sim.h, doc/ARCHITECTURE.md "The simulator").
 *
 *   sim --nodes N --scenario start|churn|partition [--seed S] [--until T]
 *       [--event-at T] [--every S] [--json FILE] [--check] [--within S]
 *       [--max-hops H] [--route-max R] [--seeding ring|star] [--quiet] [-v]
 *
 * Each node is seeded with one other (a ring, as tests/integration/mesh_scale.sh):
 * node i with node i-1; --seeding star: every node with node 0 (a full seed). All start within the first second. churn: at
 * --event-at, every tenth node is killed (its links close as a killed
 * process's sockets do); 30 s later they start again. partition: at
 * --event-at the nodes below N/2 and the others lose every link between them
 * and cannot dial across for 30 s; then they can.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "autoconnect.h"
#include "log.h"
#include "proto.h"
#include "sim.h"
#include "util.h"

struct sim sim;

/* ---- the event queue: a binary heap ordered by (when, seq) ---------------- */

static bool ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

void sim_push(const struct sim_ev *e)
{
	size_t i;

	if (sim.heap_len == sim.heap_cap) {
		size_t cap = sim.heap_cap ? 2 * sim.heap_cap : 4096;
		struct sim_ev *h = realloc(sim.heap, cap * sizeof(*h));

		if (!h) {
			fprintf(stderr, "sim: out of memory for the event queue\n");
			exit(2);
		}
		sim.heap = h;
		sim.heap_cap = cap;
	}
	i = sim.heap_len++;
	sim.heap[i] = *e;
	sim.heap[i].seq = sim.seq++;
	while (i > 0 && ev_before(&sim.heap[i], &sim.heap[(i - 1) / 2])) {
		struct sim_ev t = sim.heap[i];

		sim.heap[i] = sim.heap[(i - 1) / 2];
		sim.heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void pop(struct sim_ev *out)
{
	size_t i = 0;

	*out = sim.heap[0];
	sim.heap[0] = sim.heap[--sim.heap_len];
	/* the vacated slot keeps no copy of a pointer the caller will free */
	sim.heap[sim.heap_len] = (struct sim_ev){0};
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < sim.heap_len && ev_before(&sim.heap[l], &sim.heap[m]))
			m = l;
		if (r < sim.heap_len && ev_before(&sim.heap[r], &sim.heap[m]))
			m = r;
		if (m == i)
			break;
		struct sim_ev t = sim.heap[i];

		sim.heap[i] = sim.heap[m];
		sim.heap[m] = t;
		i = m;
	}
}

/* ---- the underlay: node i is 198.18.0.0 + i + 1, MAC 02:00:00 + i + 1 ---- */

void sim_node_addr(uint32_t idx, void *ss, uint16_t port)
{
	struct sockaddr_in *in = ss;

	memset(ss, 0, sizeof(struct sockaddr_storage));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl((198u << 24 | 18u << 16) + idx + 1);
	in->sin_port = htons(port);
}

long sim_addr_node(const void *sa)
{
	const struct sockaddr_in *in = sa;
	uint32_t a;

	if (in->sin_family != AF_INET)
		return -1;
	a = ntohl(in->sin_addr.s_addr) - (198u << 24 | 18u << 16);
	return a >= 1 && a <= sim.n ? (long)a - 1 : -1;
}

void sim_node_mac(uint32_t idx, uint8_t mac[6])
{
	uint32_t v = idx + 1;

	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(v >> 24);
	mac[3] = (uint8_t)(v >> 16);
	mac[4] = (uint8_t)(v >> 8);
	mac[5] = (uint8_t)v;
}

long sim_mac_node(const uint8_t mac[6])
{
	uint32_t v = (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 |
		     mac[5];

	return mac[0] == 0x02 && mac[1] == 0 && v >= 1 && v <= sim.n ? (long)v - 1 : -1;
}

uint32_t sim_latency(uint32_t a, uint32_t b)
{
	/* symmetric, fixed per pair: a hash of the pair and the seed */
	uint64_t x = (uint64_t)(a < b ? a : b) << 32 | (a < b ? b : a);

	x ^= sim.seed * 0x9e3779b97f4a7c15ull;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return sim.lat_min + (uint32_t)(x % (sim.lat_max - sim.lat_min + 1));
}

bool sim_cut(uint32_t a, uint32_t b)
{
	return sim.partitioned && (a < sim.cut_at) != (b < sim.cut_at);
}

struct sim_node *sim_node_of_loop(struct loop *l)
{
	return container_of(l, struct sim_node, d.loop);
}

void sim_node_after_round(struct sim_node *n)
{
	if (n->d.loop.after_round)
		n->d.loop.after_round(n->d.loop.after_round_arg);
}

/* ---- nodes ------------------------------------------------------------------ */

static int opt_route_max;
static bool opt_star; /* every node seeded with node 0 (node 0 with node 1) */

static int set_key(struct config *c, const char *k, const char *v)
{
	char err[CONFIG_ERR_SIZE];

	if (config_set(c, k, v, "sim", err, sizeof(err)) < 0) {
		fprintf(stderr, "sim: %s\n", err);
		exit(2);
	}
	return 0;
}

static void node_start(struct sim_node *n)
{
	struct invpnd *d = &n->d;
	char err[1024], seed[64];
	struct sockaddr_storage sa;
	sigset_t all;
	int r;

	memset(d, 0, sizeof(*d));
	config_fini(&n->cfg);
	config_init(&n->cfg);
	n->cfg.mdns = false;
	/* no keys here: signed announcements are not simulated (their bytes are
	 * bench/sigbench's figures); nodes announce unsigned, as sign = no */
	n->cfg.sign = false;
	free(n->cfg.cache);
	n->cfg.cache = NULL; /* no peer cache: the seed is all a node knows (as mesh_scale) */
	sim_node_addr(opt_star ? (n->idx ? 0 : 1) : (n->idx + sim.n - 1) % sim.n, &sa, SIM_PORT);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, seed, sizeof(seed));
	set_key(&n->cfg, "init", seed);
	n->cfg.port = SIM_PORT;
	/* max_routes (the route table's buckets are sized from it at start) */
	if (opt_route_max)
		n->cfg.max_routes = (unsigned)opt_route_max;

	sim_node_mac(n->idx, d->tls.mac);
	d->tunfd = -1;
	d->ctlfd = -1;
	/* a listening socket "kept across a re-exec": daemon_start adopts it
	 * (fcntl + loop_io_add) instead of binding a port; it never becomes ready */
	d->listenfd[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	d->listenfd[1] = -1;
	n->alive = true;
	n->wake_ms = UINT64_MAX;
	r = daemon_start(d, &n->cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "sim: node %u: daemon_start: %s\n", n->idx, err);
		exit(2);
	}
	/* fds: daemon_start made a signalfd and adopted the placeholder; the
	 * simulation needs neither (10 000 nodes would exhaust the fd table) */
	for (size_t i = 0; i < d->n_listen; i++) {
		close(d->listeners[i].io.fd);
		d->listeners[i].io.fd = -1;
	}
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	d->signal_fd = -1;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	sim_node_after_round(n);
}

static void node_kill(struct sim_node *n)
{
	if (!n->alive)
		return;
	n->d.loop.now_ms = sim.now;
	/* SIGKILL: no frame leaves, the kernel closes the sockets (peers see FIN) */
	daemon_stop(&n->d);
	n->alive = false;
	n->wake_ms = UINT64_MAX;
}

/* ---- measurements ------------------------------------------------------------ */

static uint32_t *uf;

static uint32_t uf_find(uint32_t x)
{
	while (uf[x] != x) {
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

static void uf_join(uint32_t a, uint32_t b)
{
	a = uf_find(a);
	b = uf_find(b);
	if (a != b)
		uf[a < b ? b : a] = a < b ? a : b;
}

static uint32_t uf_pieces(void)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < sim.n; i++) {
		if (sim.nodes[i]->alive && uf_find(i) == i)
			k++;
	}
	return k;
}

struct sample {
	double t;
	uint32_t live, link_pieces, route_pieces, complete;
	uint64_t dead_routes;
	unsigned deg_med, deg_max, deg_min;
	double frames_ps, bytes_ps, wire_ps, max_wire_ps; /* per live node per second */
	double handshakes_ps;
	/* hops (BFS over links) when measured */
	bool hops_done;
	unsigned hop_med, hop_max;
	uint64_t unreachable_pairs;
	/* pairs (source, destination) whose chain of routes does not arrive, over path_dsts */
	uint64_t bad_paths;
	uint32_t path_dsts;
};

#define PATH_ALL 2000
#define PATH_SAMPLE 100

static int cmp_u(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

struct route_walk {
	uint32_t me;
	uint32_t live_routes;
	uint64_t dead_routes;
};

static void walk_route(const struct route *r, void *arg)
{
	struct route_walk *w = arg;
	long j = sim_mac_node(r->mac);

	if (j < 0 || !sim.nodes[j]->alive)
		w->dead_routes++;
	else
		w->live_routes++;
}

/*
 * Follow next hops from every live node to destination dst (as mesh_scale
 * does with real daemons): a pair is good if the chain of routes arrives,
 * over links that are up, through live nodes, without a loop. Memoised per
 * destination, so O(N) route lookups for each one. Good pairs join the
 * route pieces.
 */
enum {
	PATH_UNKNOWN,
	PATH_OK,
	PATH_BAD,
	PATH_VISITING
};

static uint8_t *path_state;
static uint32_t *path_stack;

static uint64_t check_paths_to(uint32_t dst)
{
	uint64_t bad = 0;
	uint8_t mac[MAC_LEN];

	sim_node_mac(dst, mac);
	memset(path_state, PATH_UNKNOWN, sim.n);
	path_state[dst] = PATH_OK;
	for (uint32_t i = 0; i < sim.n; i++) {
		uint32_t depth = 0, u = i;
		uint8_t verdict;

		if (!sim.nodes[i]->alive)
			continue;
		while (path_state[u] == PATH_UNKNOWN) {
			const struct route *r = route_find(&sim.nodes[u]->d.routes, mac);
			long v = r && r->via->state == LINK_UP && !r->via->full
					 ? sim_mac_node(r->via->peer_mac)
					 : -1;

			path_state[u] = PATH_VISITING;
			path_stack[depth++] = u;
			if (v < 0 || !sim.nodes[v]->alive) {
				path_state[u] = PATH_BAD;
				break;
			}
			u = (uint32_t)v;
		}
		/* a node seen twice on this walk: a loop */
		verdict = path_state[u] == PATH_VISITING ? PATH_BAD : path_state[u];
		while (depth)
			path_state[path_stack[--depth]] = verdict;
		if (path_state[i] == PATH_BAD)
			bad++;
		else if (i != dst)
			uf_join(i, dst);
	}
	return bad;
}

static bool link_counts(const struct link *l)
{
	return l->state == LINK_UP && !l->full;
}

/* BFS over the link graph from some sources: the hop distribution. */
static void measure_hops(struct sample *s, unsigned max_sources)
{
	uint32_t n = sim.n, *off = calloc(n + 1, sizeof(uint32_t)), *adj, *dist, *q;
	uint64_t *hist = calloc(n + 1, sizeof(uint64_t)), total = 0, acc = 0;
	size_t m = 0;
	unsigned sources = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (sim.nodes[i]->alive)
			for (const struct link *l = sim.nodes[i]->d.links.list; l; l = l->next)
				m += link_counts(l);
		off[i + 1] = (uint32_t)m;
	}
	adj = malloc((m + 1) * sizeof(uint32_t));
	dist = malloc(n * sizeof(uint32_t));
	q = malloc(n * sizeof(uint32_t));
	m = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!sim.nodes[i]->alive)
			continue;
		for (const struct link *l = sim.nodes[i]->d.links.list; l; l = l->next) {
			long j = sim_mac_node(l->peer_mac);

			if (link_counts(l) && j >= 0)
				adj[m++] = (uint32_t)j;
		}
	}
	s->unreachable_pairs = 0;
	/* every node as a source up to max_sources live nodes, else an even spread */
	for (uint32_t src = 0, step = s->live > max_sources ? s->live / max_sources : 1; src < n;
	     src += step) {
		uint32_t qh = 0, qt = 0, reached = 0;

		if (!sim.nodes[src]->alive)
			continue;
		sources++;
		memset(dist, 0xff, n * sizeof(uint32_t));
		dist[src] = 0;
		q[qt++] = src;
		while (qh < qt) {
			uint32_t u = q[qh++];

			reached++;
			for (uint32_t k = off[u]; k < off[u + 1]; k++) {
				uint32_t v = adj[k];

				if (dist[v] == UINT32_MAX && sim.nodes[v]->alive) {
					dist[v] = dist[u] + 1;
					hist[dist[v]]++;
					total++;
					q[qt++] = v;
				}
			}
		}
		s->unreachable_pairs += s->live - reached;
	}
	s->hop_max = 0;
	s->hop_med = 0;
	for (uint32_t h = 1; h <= n; h++) {
		if (hist[h])
			s->hop_max = h;
		if (!s->hop_med && (acc += hist[h]) * 2 >= total && total)
			s->hop_med = h;
	}
	s->hops_done = true;
	free(off);
	free(adj);
	free(dist);
	free(q);
	free(hist);
}

static struct {
	uint64_t frames, bytes, wire, handshakes;
	double t;
} last;

static void measure(struct sample *s, bool hops)
{
	unsigned *deg = malloc(sim.n * sizeof(unsigned));
	uint64_t frames = 0, bytes = 0, wire = 0, max_wire = 0;
	uint32_t k = 0;
	double dt;

	memset(s, 0, sizeof(*s));
	s->t = sim.now / 1000.0;
	for (uint32_t i = 0; i < sim.n; i++)
		uf[i] = i;
	for (uint32_t i = 0; i < sim.n; i++) {
		struct sim_node *n = sim.nodes[i];

		frames += n->tx_frames;
		bytes += n->tx_bytes;
		wire += n->tx_wire;
		if (!n->alive)
			continue;
		s->live++;
		deg[k++] = (unsigned)link_set_degree(&n->d.links);
		for (const struct link *l = n->d.links.list; l; l = l->next) {
			long j = sim_mac_node(l->peer_mac);

			if (link_counts(l) && j >= 0 && sim.nodes[j]->alive)
				uf_join(i, (uint32_t)j);
		}
	}
	s->link_pieces = uf_pieces();
	for (uint32_t i = 0; i < sim.n; i++)
		uf[i] = i;
	for (uint32_t i = 0; i < sim.n; i++) {
		struct sim_node *n = sim.nodes[i];
		struct route_walk w = {.me = i};

		if (!n->alive)
			continue;
		route_foreach(&n->d.routes, walk_route, &w);
		if (w.live_routes + 1 == s->live)
			s->complete++;
		s->dead_routes += w.dead_routes;
	}
	/* every destination up to PATH_ALL nodes; beyond, an even spread of PATH_SAMPLE */
	s->path_dsts = 0;
	for (uint32_t j = 0, step = sim.n > PATH_ALL ? sim.n / PATH_SAMPLE : 1; j < sim.n;
	     j += step) {
		if (!sim.nodes[j]->alive)
			continue;
		s->bad_paths += check_paths_to(j);
		s->path_dsts++;
	}
	s->route_pieces = uf_pieces();
	qsort(deg, k, sizeof(unsigned), cmp_u);
	if (k) {
		s->deg_min = deg[0];
		s->deg_med = deg[k / 2];
		s->deg_max = deg[k - 1];
	}
	free(deg);
	dt = s->t - last.t;
	if (dt > 0 && s->live) {
		s->frames_ps = (double)(frames - last.frames) / dt / s->live;
		s->bytes_ps = (double)(bytes - last.bytes) / dt / s->live;
		s->wire_ps = (double)(wire - last.wire) / dt / s->live;
		s->handshakes_ps = (double)(sim.tx.handshakes - last.handshakes) / dt / s->live;
	}
	/* the busiest node since the last sample (per-node counters are reset below) */
	for (uint32_t i = 0; i < sim.n; i++) {
		if (sim.nodes[i]->tx_wire - sim.nodes[i]->tx_wire_last > max_wire)
			max_wire = sim.nodes[i]->tx_wire - sim.nodes[i]->tx_wire_last;
		sim.nodes[i]->tx_wire_last = sim.nodes[i]->tx_wire;
	}
	if (dt > 0)
		s->max_wire_ps = (double)max_wire / dt;
	last.frames = frames;
	last.bytes = bytes;
	last.wire = wire;
	last.handshakes = sim.tx.handshakes;
	last.t = s->t;
	if (hops)
		measure_hops(s, 200);
}

/* ---- the run ------------------------------------------------------------------ */

enum scenario {
	SC_START,
	SC_CHURN,
	SC_PARTITION
};

struct phase {
	const char *name;
	double at;	    /* simulated s */
	uint32_t need_live; /* converged only with this many nodes running */
	double converged; /* first sample at which every live node routes to every live one; <0: not */
	double stable;	  /* the last time it became so (and stayed, to the phase's end); <0: not */
	double clean;	  /* converged and no live node routes to a dead one (first time) */
	struct sample at_conv, end;
	bool have_end;
};

static void print_sample(FILE *f, const struct sample *s)
{
	fprintf(f,
		"t %6.1f live %5u pieces link %4u route %4u complete %5u bad_paths %6llu dead_routes %6llu "
		"links min/med/max %u/%u/%u ctl/node/s %.1f frames %.0f B wire %.0f B (max %.0f) "
		"hs %.3f",
		s->t, s->live, s->link_pieces, s->route_pieces, s->complete,
		(unsigned long long)s->bad_paths, (unsigned long long)s->dead_routes, s->deg_min,
		s->deg_med, s->deg_max, s->frames_ps, s->bytes_ps, s->wire_ps, s->max_wire_ps,
		s->handshakes_ps);
	if (s->hops_done)
		fprintf(f, " hops med %u max %u unreachable_pairs %llu", s->hop_med, s->hop_max,
			(unsigned long long)s->unreachable_pairs);
	fputc('\n', f);
}

static void json_sample(FILE *f, const struct sample *s)
{
	fprintf(f,
		"{\"t\":%.1f,\"live\":%u,\"link_pieces\":%u,\"route_pieces\":%u,\"complete\":%u,"
		"\"bad_paths\":%llu,\"path_destinations\":%u,\"dead_routes\":%llu,\"links_min\":%u,\"links_median\":%u,\"links_max\":%u,"
		"\"frames_per_node_s\":%.2f,\"bytes_per_node_s\":%.1f,\"wire_bytes_per_node_s\":%.1f,"
		"\"wire_bytes_max_node_s\":%.1f,\"handshakes_per_node_s\":%.4f",
		s->t, s->live, s->link_pieces, s->route_pieces, s->complete,
		(unsigned long long)s->bad_paths, s->path_dsts, (unsigned long long)s->dead_routes,
		s->deg_min, s->deg_med, s->deg_max, s->frames_ps, s->bytes_ps, s->wire_ps,
		s->max_wire_ps, s->handshakes_ps);
	if (s->hops_done)
		fprintf(f, ",\"hops_median\":%u,\"hops_max\":%u,\"unreachable_pairs\":%llu",
			s->hop_med, s->hop_max, (unsigned long long)s->unreachable_pairs);
	fputc('}', f);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sim --nodes N --scenario start|churn|partition [--seed S] [--until T]\n"
		"           [--event-at T] [--every S] [--json FILE] [--check] [--within S]\n"
		"           [--max-hops H] [--route-max R] [--latency MIN:MAX] [--seeding ring|star]\n"
		"           [--quiet] [-v]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"nodes", required_argument, NULL, 'n'},
		{"scenario", required_argument, NULL, 's'},
		{"seed", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'u'},
		{"event-at", required_argument, NULL, 'e'},
		{"every", required_argument, NULL, 'E'},
		{"json", required_argument, NULL, 'j'},
		{"check", no_argument, NULL, 'c'},
		{"within", required_argument, NULL, 'w'},
		{"max-hops", required_argument, NULL, 'H'},
		{"route-max", required_argument, NULL, 'R'},
		{"latency", required_argument, NULL, 'L'},
		{"seeding", required_argument, NULL, 'G'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum scenario sc = SC_START;
	double until = -1, event_at = 60, every = 1, within = 60, wall0 = wall_s();
	unsigned max_hops = 20;
	const char *json = NULL;
	bool check = false, quiet = false;
	int verbose = 0, c;
	struct phase phases[3];
	size_t n_phases = 0;
	FILE *jf = NULL;
	bool first_sample = true;
	uint64_t next_sample, t_event, t_back;
	int fails = 0;

	sim.n = 200;
	sim.seed = 1;
	sim.lat_min = 1;
	sim.lat_max = 20;
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			sim.n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			if (!strcmp(optarg, "start"))
				sc = SC_START;
			else if (!strcmp(optarg, "churn"))
				sc = SC_CHURN;
			else if (!strcmp(optarg, "partition"))
				sc = SC_PARTITION;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'S':
			sim.seed = strtoull(optarg, NULL, 10);
			break;
		case 'u':
			until = strtod(optarg, NULL);
			break;
		case 'e':
			event_at = strtod(optarg, NULL);
			break;
		case 'E':
			every = strtod(optarg, NULL);
			break;
		case 'j':
			json = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'w':
			within = strtod(optarg, NULL);
			break;
		case 'H':
			max_hops = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			opt_route_max = atoi(optarg);
			break;
		case 'L':
			if (sscanf(optarg, "%u:%u", &sim.lat_min, &sim.lat_max) != 2 ||
			    !sim.lat_min || sim.lat_max < sim.lat_min) {
				usage(stderr);
				return 2;
			}
			break;
		case 'G':
			if (strcmp(optarg, "ring") && strcmp(optarg, "star")) {
				usage(stderr);
				return 2;
			}
			opt_star = !strcmp(optarg, "star");
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (sim.n < 4 || sim.n > 100000 || every <= 0) {
		usage(stderr);
		return 2;
	}
	if (until < 0)
		until = sc == SC_START ? event_at : event_at + 30 + 60;
	log_init("sim", LOG_TARGET_STDERR,
		 verbose >= 2 ? LOG_DEBUG
		 : verbose    ? LOG_INFO
			      : LOG_WARNING);
	if (json && !(jf = fopen(json, "w"))) {
		fprintf(stderr, "sim: %s: %s\n", json, strerror(errno));
		return 2;
	}

	sim.nodes = calloc(sim.n, sizeof(*sim.nodes));
	uf = malloc(sim.n * sizeof(uint32_t));
	path_state = malloc(sim.n);
	path_stack = malloc(sim.n * sizeof(uint32_t));
	for (uint32_t i = 0; i < sim.n; i++) {
		sim.nodes[i] = calloc(1, sizeof(struct sim_node));
		if (!sim.nodes[i]) {
			fprintf(stderr, "sim: out of memory at node %u\n", i);
			return 2;
		}
		sim.nodes[i]->idx = i;
		config_init(&sim.nodes[i]->cfg);
	}
	if (!quiet)
		printf("# sim: %u nodes, scenario %s, seed %llu, latency %u-%u ms one way, "
		       "sizeof(struct invpnd) %zu, sizeof(struct route) %zu\n",
		       sim.n,
		       sc == SC_START	? "start"
		       : sc == SC_CHURN ? "churn"
					: "partition",
		       (unsigned long long)sim.seed, sim.lat_min, sim.lat_max,
		       sizeof(struct invpnd), sizeof(struct route));
	/*
	 * autoconnect seeds random() once, from the pid and the clock, on its
	 * first run (before it looks at d->stopping): let it, then reseed from
	 * --seed so that a run is repeatable.
	 */
	sim.nodes[0]->d.stopping = true;
	autoconnect_run(&sim.nodes[0]->d);
	sim.nodes[0]->d.stopping = false;
	srandom((unsigned)sim.seed);

	/* everyone starts within the first second */
	for (uint32_t i = 0; i < sim.n; i++) {
		struct sim_ev e = {.when = (uint64_t)random() % 1000, .kind = 0xff, .node = i};

		sim_push(&e);
	}
	phases[n_phases++] = (struct phase){.name = "start",
					    .at = 0,
					    .need_live = sim.n,
					    .converged = -1,
					    .stable = -1,
					    .clean = -1};
	t_event = (uint64_t)(event_at * 1000);
	t_back = t_event + 30000;
	next_sample = (uint64_t)(every * 1000);
	if (jf)
		fprintf(jf, "{\"nodes\":%u,\"scenario\":\"%s\",\"seed\":%llu,\"samples\":[", sim.n,
			sc == SC_START	 ? "start"
			: sc == SC_CHURN ? "churn"
					 : "partition",
			(unsigned long long)sim.seed);

	for (;;) {
		uint64_t stop = next_sample;
		struct sim_ev e;

		if (sc != SC_START && sim.now < t_event && t_event < stop)
			stop = t_event;
		if (sc != SC_START && sim.now < t_back && t_back < stop)
			stop = t_back;
		while (sim.heap_len && sim.heap[0].when < stop) {
			pop(&e);
			sim.now = e.when;
			sim.events++;
			if (e.kind == 0xff) {
				/* (re)start */
				if (!sim.nodes[e.node]->alive)
					node_start(sim.nodes[e.node]);
			} else if (e.kind == SIM_EV_WAKE) {
				struct sim_node *n = sim.nodes[e.node];

				if (n->alive)
					sim_node_wake(n);
			} else {
				sim_link_event(&e);
			}
			free(e.data);
		}
		sim.now = stop;
		if (stop == t_event && sc != SC_START) {
			struct sample s;

			measure(&s, true);
			phases[n_phases - 1].end = s;
			phases[n_phases - 1].have_end = true;
			if (sc == SC_CHURN) {
				for (uint32_t i = 9; i < sim.n; i += 10)
					node_kill(sim.nodes[i]);
				phases[n_phases++] =
					(struct phase){.name = "kill 10%",
						       .need_live = sim.n -
								    sim.n / 10 /* every tenth */,
						       .at = event_at,
						       .converged = -1,
						       .stable = -1,
						       .clean = -1};
			} else {
				sim.partitioned = true;
				sim.cut_at = sim.n / 2;
				sim_link_cut();
				phases[n_phases++] = (struct phase){.name = "partition",
								    .need_live = sim.n,
								    .at = event_at,
								    .converged = -1,
								    .stable = -1,
								    .clean = -1};
			}
		}
		if (stop == t_back && sc != SC_START) {
			struct sample s;

			measure(&s, true);
			phases[n_phases - 1].end = s;
			phases[n_phases - 1].have_end = true;
			if (sc == SC_CHURN) {
				for (uint32_t i = 9; i < sim.n; i += 10) {
					struct sim_ev r = {.when = sim.now +
								   (uint64_t)random() % 1000,
							   .kind = 0xff,
							   .node = i};

					sim_push(&r);
				}
				phases[n_phases++] = (struct phase){.name = "restart",
								    .need_live = sim.n,
								    .at = event_at + 30,
								    .converged = -1,
								    .stable = -1,
								    .clean = -1};
			} else {
				sim.partitioned = false;
				phases[n_phases++] = (struct phase){.name = "heal",
								    .need_live = sim.n,
								    .at = event_at + 30,
								    .converged = -1,
								    .stable = -1,
								    .clean = -1};
			}
		}
		if (stop == next_sample) {
			struct phase *p = &phases[n_phases - 1];
			struct sample s;
			bool conv;

			measure(&s, false);
			conv = s.complete == s.live && s.live == p->need_live && !s.bad_paths;
			if (!conv)
				p->stable = -1;
			else if (p->stable < 0)
				p->stable = s.t - p->at;
			/* the start phase counts from the first second (the last node started) */
			if (conv && p->converged < 0 && strcmp(p->name, "partition")) {
				p->converged = s.t - p->at;
				measure_hops(&s, 200);
				p->at_conv = s;
			}
			if (conv && s.dead_routes == 0 && p->clean < 0)
				p->clean = s.t - p->at;
			if (!quiet)
				print_sample(stdout, &s);
			if (jf) {
				fputs(first_sample ? "" : ",", jf);
				json_sample(jf, &s);
				first_sample = false;
			}
			fflush(stdout);
			next_sample += (uint64_t)(every * 1000);
		}
		if (sim.now >= (uint64_t)(until * 1000))
			break;
	}
	{
		struct sample s;

		measure(&s, true);
		phases[n_phases - 1].end = s;
		phases[n_phases - 1].have_end = true;
	}

	printf("# summary: %u nodes, scenario %s, seed %llu: %.0f simulated s in %.1f wall s, "
	       "%llu events\n",
	       sim.n,
	       sc == SC_START	? "start"
	       : sc == SC_CHURN ? "churn"
				: "partition",
	       (unsigned long long)sim.seed, until, wall_s() - wall0,
	       (unsigned long long)sim.events);
	for (size_t i = 0; i < n_phases; i++) {
		const struct phase *p = &phases[i];

		printf("# phase %-9s at %5.1f s: ", p->name, p->at);
		if (!strcmp(p->name, "partition"))
			printf("(two pieces by design) ");
		else if (p->converged >= 0)
			printf("one mesh (every route, every path) after %.1f s, stable from %.1f s, "
			       "no route to the dead after %.1f s; ",
			       p->converged, p->stable, p->clean);
		else
			printf("NOT one mesh by its end; ");
		if (p->have_end)
			printf("at its end: pieces link %u route %u, complete %u/%u, links med %u "
			       "max %u, hops med %u max %u\n",
			       p->end.link_pieces, p->end.route_pieces, p->end.complete,
			       p->end.live, p->end.deg_med, p->end.deg_max, p->end.hop_med,
			       p->end.hop_max);
		else
			printf("\n");
		if (check && strcmp(p->name, "partition")) {
			if (p->converged < 0 || p->converged > within || p->stable < 0) {
				printf("not ok - phase %s: one mesh within %.0f s\n", p->name,
				       within);
				fails++;
			} else {
				printf("ok - phase %s: one mesh within %.0f s (%.1f s)\n", p->name,
				       within, p->converged);
			}
			if (p->have_end && p->end.hop_max > max_hops) {
				printf("not ok - phase %s: at most %u hops (%u)\n", p->name,
				       max_hops, p->end.hop_max);
				fails++;
			}
			/* the + 2: shape() drops a link only once it is 10 s old and one
			 * per 5-10 s, so a node that has just been dialled by newcomers
			 * carries a couple above the rest for a while (measured at 200
			 * nodes: max 5-6, median 4; a full seed without shaping: 16) */
			if (p->have_end && p->end.deg_max > 2 * p->end.deg_med + 2) {
				printf("not ok - phase %s: links per node max %u > 2 x median %u + 2\n",
				       p->name, p->end.deg_max, p->end.deg_med);
				fails++;
			}
		}
	}
	{
		double secs = until, nn = sim.n;

		printf("# control frames sent by type (per node per second, averaged over the run):\n");
		for (int t = 0; t < 256; t++) {
			if (sim.tx.frames[t])
				printf("#   %-12s %8.2f frames %9.1f B\n",
				       proto_type_name((uint8_t)t), sim.tx.frames[t] / secs / nn,
				       sim.tx.bytes[t] / secs / nn);
		}
		uint64_t wire = 0, busiest = 0, payload = 0;

		for (uint32_t i = 0; i < sim.n; i++) {
			wire += sim.nodes[i]->tx_wire;
			payload += sim.nodes[i]->tx_bytes;
			if (sim.nodes[i]->tx_wire > busiest)
				busiest = sim.nodes[i]->tx_wire;
		}
		printf("#   per node per s: %.0f B of frames, %.0f B on the wire (estimated), "
		       "busiest node %.0f B on the wire\n",
		       payload / secs / nn, wire / secs / nn, busiest / secs);
		printf("#   TLS records %.2f, TCP segments %.2f, handshakes %.4f per node per s\n",
		       sim.tx.records / secs / nn, sim.tx.segments / secs / nn,
		       sim.tx.handshakes / secs / nn);
	}
	if (jf) {
		fprintf(jf, "],\"phases\":[");
		for (size_t i = 0; i < n_phases; i++) {
			const struct phase *p = &phases[i];

			fprintf(jf,
				"%s{\"name\":\"%s\",\"at\":%.1f,\"converged_after\":%.1f,"
				"\"stable_after\":%.1f,\"clean_after\":%.1f,\"end\":",
				i ? "," : "", p->name, p->at, p->converged, p->stable, p->clean);
			json_sample(jf, &p->end);
			fputc('}', jf);
		}
		fprintf(jf, "],\"frames_by_type\":{");
		for (int t = 0, first = 1; t < 256; t++) {
			if (sim.tx.frames[t]) {
				fprintf(jf, "%s\"%s\":{\"frames\":%llu,\"bytes\":%llu}",
					first ? "" : ",", proto_type_name((uint8_t)t),
					(unsigned long long)sim.tx.frames[t],
					(unsigned long long)sim.tx.bytes[t]);
				first = 0;
			}
		}
		fprintf(jf, "},\"wall_s\":%.1f}\n", wall_s() - wall0);
		fclose(jf);
	}
	return fails ? 1 : 0;
}
