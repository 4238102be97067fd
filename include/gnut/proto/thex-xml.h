/* thex-xml.h: the XML description record of a THEX answer, as
 * gtk-gnutella writes and reads it:
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <!DOCTYPE hashtree SYSTEM "http://open-content.net/spec/thex/thex.dtd">
 *   <hashtree>
 *   <file size="<bytes>" segmentsize="1024"/>
 *   <digest algorithm="http://open-content.net/spec/digest/tiger" outputsize="24"/>
 *   <serializedtree depth="<d>" type="http://open-content.net/spec/thex/breadthfirst"
 *    uri="<the ID of the tree record>"/>
 *   </hashtree>
 *
 * Read with libxml2 without network, DTD loading or entity substitution;
 * a document with entity declarations is refused. */
#ifndef GNUT_THEX_XML_H
#define GNUT_THEX_XML_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_THEX_XML_MAX       4096 /* bytes of a description we read */
#define GNUT_THEX_XML_MAX_URI   255  /* bytes of the tree record's ID */
#define GNUT_THEX_XML_MAX_DEPTH 63

#define GNUT_THEX_TREE_TYPE "http://open-content.net/spec/thex/breadthfirst"
#define GNUT_THEX_XML_TYPE  "text/xml"

typedef struct {
	uint64_t file_size;
	unsigned depth;
	char uri[GNUT_THEX_XML_MAX_URI + 1];
} gnut_thex_xml;

/* The description above (g_free it). */
char *gnut_thex_xml_build(uint64_t file_size, unsigned depth, const char *uri);

/* TOO_LARGE over GNUT_THEX_XML_MAX bytes or a uri over its cap; MALFORMED
 * when it does not parse, the root is not hashtree, an element or attribute
 * is missing, a number does not parse (depth over GNUT_THEX_XML_MAX_DEPTH),
 * or the segment size, algorithm, output size or tree type differ from the
 * ones above. *out is set on OK only. */
gnut_proto_err gnut_thex_xml_parse(const char *buf, size_t len, gnut_thex_xml *out);

#endif
