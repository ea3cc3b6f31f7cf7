#include <protobuf-c/protobuf-c.h>

/// True when `string` is protobuf-c's shared empty string: the default of an absent string field, which no
/// allocator made (every string read from the wire, even an empty one, is allocated).
static inline int cla_protobuf_c_is_default_empty(const char *string) {
    return string == protobuf_c_empty_string;
}
