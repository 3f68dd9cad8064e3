/*
 * invpnctl: the commands built on a health round (health, traceroute, graph).
 *
 * The daemon's reply holds "self" (this node, as it would answer) and
 * "answers" (one per node that answered). For an answer from X, "trace" is
 * the nodes that forwarded the request before it reached X (the forward path
 * is this node, trace..., X) and "rtrace" is X followed by every node that
 * forwarded the answer back (the return path is rtrace..., this node).
 */
#include "invpnctl.h"

#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		ictl_err("out of memory");
		exit(ICTL_EXIT_FAIL);
	}
	return p;
}

/* A MAC string from the daemon, normalised; false if it is not a MAC. */
static bool norm_mac(const char *s, char out[MAC_STRLEN])
{
	uint8_t mac[MAC_LEN];

	if (!s || mac_parse(s, mac) < 0)
		return false;
	mac_format(mac, out);
	return true;
}

static bool obj_mac(struct json_object *o, char out[MAC_STRLEN])
{
	return norm_mac(ictl_get_str(o, "mac"), out);
}

static size_t array_len(struct json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

static const char *array_str(struct json_object *a, size_t i)
{
	struct json_object *v = json_object_array_get_idx(a, i);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* ---- the answers of a round: deduplicated, sorted by hops then MAC ---- */

struct answer {
	char mac[MAC_STRLEN];
	uint64_t hops;
	size_t seq; /* arrival order */
	struct json_object *o;
};

static int cmp_answer(const void *pa, const void *pb)
{
	const struct answer *a = pa, *b = pb;
	int r;

	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	r = strcmp(a->mac, b->mac);
	return r ? r : (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_answer_mac(const void *pa, const void *pb)
{
	const struct answer *a = pa, *b = pb;
	int r = strcmp(a->mac, b->mac);

	return r ? r : (a->seq > b->seq) - (a->seq < b->seq);
}

/* The answers other than self's, one per MAC (the first to arrive), sorted. */
static struct answer *collect_answers(struct json_object *r, const char *self, size_t *n)
{
	struct json_object *arr = ictl_get_array(r, "answers");
	size_t len = array_len(arr), k = 0, m = 0;
	struct answer *v = xcalloc(len, sizeof(*v));

	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		if (!obj_mac(o, v[k].mac) || (self && !strcmp(v[k].mac, self)))
			continue;
		if (!ictl_get_u64(o, "hops", &v[k].hops))
			v[k].hops = UINT64_MAX;
		v[k].seq = i;
		v[k].o = o;
		k++;
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_answer_mac);
	for (size_t i = 0; i < k; i++) {
		if (!m || strcmp(v[m - 1].mac, v[i].mac))
			v[m++] = v[i];
	}
	if (m)
		qsort(v, m, sizeof(*v), cmp_answer);
	*n = m;
	return v;
}

static const char *self_mac(struct json_object *r, char buf[MAC_STRLEN])
{
	return obj_mac(ictl_get(r, "self"), buf) ? buf : NULL;
}

/* ---- health ---- */

int ictl_mesh_health(struct json_object *r, const struct ictl_opts *o)
{
	static const char *const h[] = {"NODE", "HOPS", "RTT", "LINKS", "ROUTES", NULL};
	struct json_object *self = ictl_get(r, "self");
	char smac[MAC_STRLEN], buf[ICTL_FMT_LEN];
	const char *sm = self_mac(r, smac);
	struct ictl_table *t;
	struct answer *v;
	uint64_t wait_ms = o->wait_ms;
	size_t n, total;

	if (o->json) {
		ictl_print_json(r);
		return ICTL_EXIT_OK;
	}
	ictl_get_u64(r, "wait_ms", &wait_ms);
	v = collect_answers(r, sm, &n);
	t = ictl_table_new(5, "lrrrr");
	for (const char *const *p = h; *p; p++)
		ictl_table_cell(t, *p);
	if (sm) {
		ictl_table_cellf(t, "%s (this node)", sm);
		ictl_table_cell(t, "0");
		ictl_table_cell(t, NULL);
		ictl_table_cellf(t, "%zu", array_len(ictl_get_array(self, "links")));
		ictl_table_cellf(t, "%zu", array_len(ictl_get_array(self, "routes")));
	}
	for (size_t i = 0; i < n; i++) {
		double rtt;

		ictl_table_cell(t, v[i].mac);
		if (v[i].hops != UINT64_MAX)
			ictl_table_cellf(t, "%llu", (unsigned long long)v[i].hops);
		else
			ictl_table_cell(t, NULL);
		ictl_table_cell(t, ictl_get_double(v[i].o, "rtt_ms", &rtt) ? ictl_fmt_rtt(rtt, buf)
									   : NULL);
		ictl_table_cellf(t, "%zu", array_len(ictl_get_array(v[i].o, "links")));
		ictl_table_cellf(t, "%zu", array_len(ictl_get_array(v[i].o, "routes")));
	}
	ictl_table_print(t, stdout, ictl_width(o));
	total = n + (sm != NULL);
	printf("\n%zu node%s answered in %s s", total, total == 1 ? "" : "s",
	       ictl_fmt_seconds((unsigned)wait_ms, buf));
	if (sm)
		printf(" (%zu besides this node)", n);
	putchar('\n');
	{
		uint64_t dropped = 0;

		/* the daemon keeps a round within its bounds: say what it left out */
		if (ictl_get_u64(r, "answers_dropped", &dropped) && dropped)
			printf("%llu more answers were not kept (the round's limit is 4096 answers, "
			       "4 MiB)\n",
			       (unsigned long long)dropped);
		if (ictl_get_u64(r, "answers_duplicate", &dropped) && dropped)
			printf("%llu answers were not kept: a second answer from a node\n",
			       (unsigned long long)dropped);
		if (ictl_get_u64(r, "answers_unknown", &dropped) && dropped)
			printf("%llu answers were not kept: from nodes with no route here\n",
			       (unsigned long long)dropped);
	}
	free(v);
	return ICTL_EXIT_OK;
}

/* ---- traceroute ---- */

/* Append the normalised MACs of arr[from...] to out. */
static void add_macs(struct json_object *out, struct json_object *arr, size_t from)
{
	char mac[MAC_STRLEN];

	for (size_t i = from; i < array_len(arr); i++) {
		if (norm_mac(array_str(arr, i), mac))
			json_object_array_add(out, json_object_new_string(mac));
	}
}

static const char *fmt_ms(double ms, char buf[ICTL_FMT_LEN])
{
	snprintf(buf, ICTL_FMT_LEN, "%.3f", ms);
	return buf;
}

static void print_path(const char *label, struct json_object *path, const char *self)
{
	size_t n = array_len(path), w = n >= 100 ? 3 : n >= 10 ? 2 : 1;

	for (size_t i = 0; i < n; i++) {
		const char *m = array_str(path, i);

		printf("%-9s %*zu  %s%s\n", i ? "" : label, (int)w, i + 1, m,
		       self && i == n - 1 && !strcmp(m, self) ? " (this node)" : "");
	}
	if (!n)
		printf("%-9s (none)\n", label);
}

int ictl_mesh_traceroute(struct json_object *r, const struct ictl_opts *o)
{
	struct json_object *out = json_object_new_object(), *fwd = json_object_new_array();
	struct json_object *ret = json_object_new_array(), *hit = NULL;
	char target[MAC_STRLEN], smac[MAC_STRLEN], buf[ICTL_FMT_LEN];
	const char *sm = self_mac(r, smac);
	uint64_t wait_ms = o->wait_ms;
	size_t n;
	struct answer *v;
	double rtt = 0;
	bool answered = false, to_self = false;
	int status;

	ictl_get_u64(r, "wait_ms", &wait_ms);
	mac_format(o->target, target);
	v = collect_answers(r, sm, &n);
	if (sm && !strcmp(sm, target)) {
		answered = to_self = true;
	} else {
		for (size_t i = 0; i < n && !hit; i++) {
			if (!strcmp(v[i].mac, target))
				hit = v[i].o;
		}
	}
	if (hit) {
		answered = true;
		ictl_get_double(hit, "rtt_ms", &rtt);
		/* forward: trace..., target; return: rtrace[1:]..., this node */
		add_macs(fwd, ictl_get_array(hit, "trace"), 0);
		json_object_array_add(fwd, json_object_new_string(target));
		add_macs(ret, ictl_get_array(hit, "rtrace"), 1);
		if (sm)
			json_object_array_add(ret, json_object_new_string(sm));
	}

	json_object_object_add(out, "ok", json_object_new_boolean(1));
	json_object_object_add(out, "command", json_object_new_string("traceroute"));
	json_object_object_add(out, "target", json_object_new_string(target));
	json_object_object_add(out, "self", sm ? json_object_new_string(sm) : NULL);
	json_object_object_add(out, "answered", json_object_new_boolean(answered));
	if (hit)
		json_object_object_add(out, "rtt_ms",
				       json_object_new_double_s(rtt, fmt_ms(rtt, buf)));
	else
		json_object_object_add(out, "rtt_ms",
				       to_self ? json_object_new_double_s(0, "0.0") : NULL);
	json_object_object_add(out, "wait_ms", json_object_new_uint64(wait_ms));
	json_object_object_add(out, "forward", fwd);
	json_object_object_add(out, "return", ret);

	if (o->json)
		ictl_print_json(out);
	if (!answered) {
		ictl_err("%s: no answer within %s s (%zu other node%s answered)", target,
			 ictl_fmt_seconds((unsigned)wait_ms, buf), n, n == 1 ? "" : "s");
		status = ICTL_EXIT_FAIL;
	} else {
		if (!o->json) {
			if (to_self) {
				printf("traceroute to %s: this node\n", target);
			} else {
				printf("traceroute to %s (answered in %s)\n", target,
				       ictl_fmt_rtt(rtt, buf));
				print_path("forward:", fwd, NULL);
				print_path("return:", ret, sm);
			}
		}
		status = ICTL_EXIT_OK;
	}
	json_object_put(out);
	free(v);
	return status;
}

/* ---- graph ---- */

struct strset {
	char (*v)[MAC_STRLEN];
	size_t n, cap;
};

static void strset_add(struct strset *s, const char *mac)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			ictl_err("out of memory");
			exit(ICTL_EXIT_FAIL);
		}
	}
	memcpy(s->v[s->n++], mac, MAC_STRLEN);
}

static int cmp_mac(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void strset_sort(struct strset *s)
{
	size_t k = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_mac);
	for (size_t i = 0; i < s->n; i++) {
		if (!k || strcmp(s->v[k - 1], s->v[i]))
			memmove(s->v[k++], s->v[i], MAC_STRLEN);
	}
	s->n = k;
}

static bool strset_has(const struct strset *s, const char *mac)
{
	return bsearch(mac, s->v, s->n, sizeof(*s->v), cmp_mac) != NULL;
}

struct edge {
	char a[MAC_STRLEN], b[MAC_STRLEN]; /* a < b */
};

static int cmp_edge(const void *pa, const void *pb)
{
	const struct edge *a = pa, *b = pb;
	int r = strcmp(a->a, b->a);

	return r ? r : strcmp(a->b, b->b);
}

struct graph {
	struct strset nodes, answered;
	struct edge *edges;
	size_t n_edges, cap_edges;
};

/* Add node `mac` (an answer or self) and an edge to each of its links. */
static void graph_add(struct graph *g, const char *mac, struct json_object *links)
{
	char peer[MAC_STRLEN];

	strset_add(&g->nodes, mac);
	strset_add(&g->answered, mac);
	for (size_t i = 0; i < array_len(links); i++) {
		struct edge *e;
		int c;

		if (!norm_mac(array_str(links, i), peer) || !(c = strcmp(mac, peer)))
			continue;
		strset_add(&g->nodes, peer);
		if (g->n_edges == g->cap_edges) {
			g->cap_edges = g->cap_edges ? g->cap_edges * 2 : 64;
			g->edges = realloc(g->edges, g->cap_edges * sizeof(*g->edges));
			if (!g->edges) {
				ictl_err("out of memory");
				exit(ICTL_EXIT_FAIL);
			}
		}
		e = &g->edges[g->n_edges++];
		memcpy(e->a, c < 0 ? mac : peer, MAC_STRLEN);
		memcpy(e->b, c < 0 ? peer : mac, MAC_STRLEN);
	}
}

int ictl_mesh_graph(struct json_object *r, const struct ictl_opts *o)
{
	struct json_object *arr = ictl_get_array(r, "answers");
	char smac[MAC_STRLEN], mac[MAC_STRLEN], buf[ICTL_FMT_LEN];
	const char *sm = self_mac(r, smac);
	struct graph g = {0};
	uint64_t wait_ms = o->wait_ms;
	size_t k = 0;

	ictl_get_u64(r, "wait_ms", &wait_ms);
	if (sm)
		graph_add(&g, sm, ictl_get_array(ictl_get(r, "self"), "links"));
	for (size_t i = 0; i < array_len(arr); i++) {
		struct json_object *a = json_object_array_get_idx(arr, i);

		if (obj_mac(a, mac))
			graph_add(&g, mac, ictl_get_array(a, "links"));
	}
	strset_sort(&g.nodes);
	strset_sort(&g.answered);
	if (g.n_edges)
		qsort(g.edges, g.n_edges, sizeof(*g.edges), cmp_edge);
	for (size_t i = 0; i < g.n_edges; i++) {
		if (!k || cmp_edge(&g.edges[k - 1], &g.edges[i]))
			g.edges[k++] = g.edges[i];
	}
	g.n_edges = k;

	if (o->json) {
		struct json_object *out = json_object_new_object();
		struct json_object *nodes = json_object_new_array(), *ans = json_object_new_array();
		struct json_object *edges = json_object_new_array();

		for (size_t i = 0; i < g.nodes.n; i++)
			json_object_array_add(nodes, json_object_new_string(g.nodes.v[i]));
		for (size_t i = 0; i < g.answered.n; i++)
			json_object_array_add(ans, json_object_new_string(g.answered.v[i]));
		for (size_t i = 0; i < g.n_edges; i++) {
			struct json_object *e = json_object_new_array_ext(2);

			json_object_array_add(e, json_object_new_string(g.edges[i].a));
			json_object_array_add(e, json_object_new_string(g.edges[i].b));
			json_object_array_add(edges, e);
		}
		json_object_object_add(out, "ok", json_object_new_boolean(1));
		json_object_object_add(out, "command", json_object_new_string("graph"));
		json_object_object_add(out, "self", sm ? json_object_new_string(sm) : NULL);
		json_object_object_add(out, "wait_ms", json_object_new_uint64(wait_ms));
		json_object_object_add(out, "nodes", nodes);
		json_object_object_add(out, "answered", ans);
		json_object_object_add(out, "edges", edges);
		ictl_print_json(out);
		json_object_put(out);
	} else {
		printf("graph invpn {\n");
		printf("\t// invpn mesh as seen from %s: %zu nodes, %zu links, "
		       "health round of %s s\n",
		       sm ? sm : "?", g.nodes.n, g.n_edges,
		       ictl_fmt_seconds((unsigned)wait_ms, buf));
		printf("\tnode [shape=box, fontname=\"monospace\"];\n");
		for (size_t i = 0; i < g.nodes.n; i++) {
			const char *m = g.nodes.v[i];

			/* the label is the MAC alone; the style tells the asker and the silent */
			if (sm && !strcmp(m, sm))
				printf("\t\"%s\" [label=\"%s\", style=filled, fillcolor=lightblue, "
				       "penwidth=2, tooltip=\"this node\"];\n",
				       m, m);
			else if (!strset_has(&g.answered, m))
				printf("\t\"%s\" [label=\"%s\", style=dashed, "
				       "tooltip=\"did not answer\"];\n",
				       m, m);
			else
				printf("\t\"%s\" [label=\"%s\"];\n", m, m);
		}
		for (size_t i = 0; i < g.n_edges; i++)
			printf("\t\"%s\" -- \"%s\";\n", g.edges[i].a, g.edges[i].b);
		printf("}\n");
	}
	free(g.nodes.v);
	free(g.answered.v);
	free(g.edges);
	return ICTL_EXIT_OK;
}
