#include "ctl_proto.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const command_names[CTL_COMMAND_COUNT] = {
	"status", "peers", "routes", "nodes", "health", "traceroute", "graph", "metrics",
};

const char *ctl_command_name(enum ctl_command c)
{
	return c < CTL_COMMAND_COUNT ? command_names[c] : "?";
}

int ctl_command_parse(const char *name)
{
	for (int i = 0; i < CTL_COMMAND_COUNT; i++) {
		if (!strcmp(name, command_names[i]))
			return i;
	}
	return -1;
}

static int set_wait(struct ctl_request *req, double seconds, const char **why)
{
	if (!(seconds >= 0.001) || seconds * 1000 > CTL_MAX_WAIT_MS) {
		*why = "wait must be from 0.001 to 60 seconds";
		return -EINVAL;
	}
	req->wait_ms = (unsigned)(seconds * 1000 + 0.5); /* as invpnctl: 1.001 s is 1001 ms */
	return 0;
}

static int check(struct ctl_request *req, const char **why)
{
	if (req->command == CTL_TRACEROUTE && !req->has_target) {
		*why = "traceroute needs a target MAC";
		return -EINVAL;
	}
	if (req->has_target && req->command != CTL_TRACEROUTE) {
		*why = "only traceroute takes a target";
		return -EINVAL;
	}
	return 0;
}

static int parse_json(const char *line, size_t len, struct ctl_request *req, const char **why)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	struct json_object *obj, *v;
	int r = -EINVAL, c;

	if (!tok) {
		*why = "out of memory";
		return -ENOMEM;
	}
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		*why = "request is not valid JSON";
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		*why = "request is not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(obj, "command", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*why = "request has no \"command\" string";
		goto out;
	}
	c = ctl_command_parse(json_object_get_string(v));
	if (c < 0) {
		*why = "unknown command";
		goto out;
	}
	req->command = (enum ctl_command)c;
	if (json_object_object_get_ex(obj, "wait", &v)) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double)) {
			*why = "\"wait\" must be a number of seconds";
			goto out;
		}
		if (set_wait(req, json_object_get_double(v), why) < 0)
			goto out;
	}
	if (json_object_object_get_ex(obj, "target", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    mac_parse(json_object_get_string(v), req->target) < 0) {
			*why = "\"target\" must be a MAC address";
			goto out;
		}
		req->has_target = true;
	}
	r = check(req, why);
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return r;
}

static int parse_words(const char *line, size_t len, struct ctl_request *req, const char **why)
{
	char buf[CTL_MAX_REQUEST], *save = NULL, *w;
	int c;

	memcpy(buf, line, len);
	buf[len] = '\0';
	w = strtok_r(buf, " \t\r", &save);
	if (!w) {
		*why = "empty request";
		return -EINVAL;
	}
	c = ctl_command_parse(w);
	if (c < 0) {
		*why = "unknown command";
		return -EINVAL;
	}
	req->command = (enum ctl_command)c;
	while ((w = strtok_r(NULL, " \t\r", &save))) {
		char *end;
		double s;

		if (mac_parse(w, req->target) == 0 && !req->has_target) {
			req->has_target = true;
			continue;
		}
		s = strtod(w, &end);
		if (end == w || *end) {
			*why = "unexpected word in request";
			return -EINVAL;
		}
		if (set_wait(req, s, why) < 0)
			return -EINVAL;
	}
	return check(req, why);
}

int ctl_parse_request(const char *line, size_t len, struct ctl_request *req, const char **why)
{
	memset(req, 0, sizeof(*req));
	req->wait_ms = CTL_DEFAULT_WAIT_MS;
	if (len >= CTL_MAX_REQUEST) {
		*why = "request too long";
		return -EINVAL;
	}
	if (memchr(line, '\0', len)) {
		*why = "NUL byte in request";
		return -EINVAL;
	}
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len && line[0] == '{')
		return parse_json(line, len, req, why);
	return parse_words(line, len, req, why);
}

int ctl_format_request(const struct ctl_request *req, char *buf, size_t cap)
{
	char mac[MAC_STRLEN];
	int n;

	if (req->has_target)
		n = snprintf(buf, cap, "{\"command\":\"%s\",\"wait\":%.3f,\"target\":\"%s\"}\n",
			     ctl_command_name(req->command), req->wait_ms / 1000.0,
			     mac_format(req->target, mac));
	else
		n = snprintf(buf, cap, "{\"command\":\"%s\",\"wait\":%.3f}\n",
			     ctl_command_name(req->command), req->wait_ms / 1000.0);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}
