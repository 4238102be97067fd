/* fuzz-ctl-request.c: the control API's request decoding on arbitrary
 * bodies (the transport runs it on whatever an authorised local client
 * POSTs), and the round trip of whatever decodes: its method, re-encoded
 * with an empty params object, must decode to the same method. (Params are
 * not re-encoded: json-glib writes a number too large for a double, which
 * it reads as infinity, as "inf", which is no JSON.) */
#include "fuzz.h"
#include "gnut/ctl/ctl-server.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = NULL;
	JsonObject *params = NULL;
	if (!gnut_ctl_request_parse((const char *)data, size, &method, &params, NULL)) {
		if (method != NULL || params != NULL)
			abort();
		return 0;
	}
	JsonObject *call = json_object_new();
	json_object_set_string_member(call, "method", method);
	if (params != NULL)
		json_object_set_object_member(call, "params", json_object_new());
	JsonNode *root = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(root, call);
	char *text = json_to_string(root, FALSE);
	char *again = NULL;
	JsonObject *again_params = NULL;
	/* escaping may lengthen a body past the cap: only shorter ones must pass */
	if (strlen(text) <= GNUT_CTL_MAX_REQUEST &&
	    (!gnut_ctl_request_parse(text, strlen(text), &again, &again_params, NULL) ||
	     strcmp(again, method) != 0 || (again_params == NULL) != (params == NULL)))
		abort();
	g_free(again);
	if (again_params != NULL)
		json_object_unref(again_params);
	g_free(text);
	json_node_unref(root);
	if (params != NULL)
		json_object_unref(params);
	g_free(method);
	return 0;
}
