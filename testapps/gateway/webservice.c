/*
 * webservice - the webservice at the end of the gateway chain (seed 001's
 * Python/Tornado service): GET /quote?symbol=SYM answers a made-up price
 * and, like httpbin, the headers it received, which shows what context
 * arrived without anyone forwarding it:
 *
 *   {"symbol":"TSHM","price":42.17,"headers":{"Host":"...",...}}
 *
 * Architecture: one thread, an epoll event loop (Tornado's model).
 * Environment: WEBSERVICE_PORT (8888), BIND_ADDR.  No tracing code.
 */
#include <stdio.h>
#include <string.h>

#include "../common/net.h"
#include "../common/server.h"

static void handle(struct ta_request *req, struct ta_response *resp)
{
	const struct ta_msg *m = req->msg;
	const char *sym = strstr(req->query, "symbol=");
	unsigned h = 7;
	size_t n;
	int k;

	if (strcmp(req->path, "/quote") || !sym) {
		ta_resp_printf(resp, 404, "application/json",
			       "{\"error\":\"GET /quote?symbol=SYM\"}\n");
		return;
	}
	sym += 7;
	n = strcspn(sym, "&");
	for (k = 0; k < (int)n; k++)
		h = h * 31 + (unsigned char)sym[k];
	ta_resp_printf(resp, 200, "application/json", "{\"symbol\":");
	ta_resp_json_str(resp, sym, n);
	ta_resp_appendf(resp, ",\"price\":%u.%02u,\"headers\":{", h % 500 + 1,
			h / 500 % 100);
	for (k = 0; k < m->nh; k++) {
		if (k)
			ta_resp_append(resp, ",", 1);
		ta_resp_json_str(resp, m->h[k].name, m->h[k].name_len);
		ta_resp_append(resp, ":", 1);
		ta_resp_json_str(resp, m->h[k].value, m->h[k].value_len);
	}
	ta_resp_append(resp, "}}", 2);
}

int main(void)
{
	static const struct ta_service svc = { "webservice", handle };
	int port, lfd;

	ta_init("webservice");
	lfd = ta_listen("WEBSERVICE_PORT", 8888, &port);
	printf("webservice: ready, listening on http://%s:%d/quote\n",
	       ta_env_str("BIND_ADDR", "127.0.0.1"), port);
	ta_serve_epoll(lfd, &svc);
	return 0;
}
