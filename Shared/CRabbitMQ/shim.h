// rabbitmq-c 0.11 (Debian's librabbitmq-dev), plus what Swift cannot do with it directly: call the
// C-variadic amqp_login, and build or read AMQP field tables (unions of C strings) without keeping Swift
// string storage alive across calls.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <string.h>

static inline amqp_rpc_reply_t cla_amqp_login(amqp_connection_state_t state, const char *vhost, int frame_max, int heartbeat,
                                              const char *user, const char *password) {
    return amqp_login(state, vhost, 0, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

/// Declares a durable quorum queue; with a dead-letter exchange and routing key when `dead_letter_exchange`
/// is not empty, and a delivery limit when `delivery_limit` > 0.
static inline amqp_queue_declare_ok_t *cla_amqp_declare_quorum(amqp_connection_state_t state, amqp_channel_t channel,
                                                               const char *queue, const char *dead_letter_exchange,
                                                               const char *dead_letter_key, int64_t delivery_limit) {
    amqp_table_entry_t entries[4];
    int count = 0;
    entries[count].key = amqp_cstring_bytes("x-queue-type");
    entries[count].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[count].value.value.bytes = amqp_cstring_bytes("quorum");
    count++;
    if (delivery_limit > 0) {
        entries[count].key = amqp_cstring_bytes("x-delivery-limit");
        entries[count].value.kind = AMQP_FIELD_KIND_I64;
        entries[count].value.value.i64 = delivery_limit;
        count++;
    }
    if (dead_letter_exchange[0] != 0) {
        entries[count].key = amqp_cstring_bytes("x-dead-letter-exchange");
        entries[count].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[count].value.value.bytes = amqp_cstring_bytes(dead_letter_exchange);
        count++;
        entries[count].key = amqp_cstring_bytes("x-dead-letter-routing-key");
        entries[count].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[count].value.value.bytes = amqp_cstring_bytes(dead_letter_key);
        count++;
    }
    amqp_table_t arguments = {count, entries};
    return amqp_queue_declare(state, channel, amqp_cstring_bytes(queue), 0, 1, 0, 0, arguments);
}

/// Publishes a persistent message with a message id and one string header (`header` empty: none).
static inline int cla_amqp_publish(amqp_connection_state_t state, amqp_channel_t channel, const char *exchange,
                                   const char *routing_key, const char *message_id, const char *header,
                                   const char *header_value, const void *body, size_t length) {
    amqp_basic_properties_t properties;
    memset(&properties, 0, sizeof properties);
    properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    properties.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    properties.message_id = amqp_cstring_bytes(message_id);
    properties.content_type = amqp_cstring_bytes("application/octet-stream");
    amqp_table_entry_t entry;
    if (header[0] != 0) {
        entry.key = amqp_cstring_bytes(header);
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = amqp_cstring_bytes(header_value);
        properties.headers.num_entries = 1;
        properties.headers.entries = &entry;
        properties._flags |= AMQP_BASIC_HEADERS_FLAG;
    }
    amqp_bytes_t bytes = {length, (void *)body};
    return amqp_basic_publish(state, channel, amqp_cstring_bytes(exchange), amqp_cstring_bytes(routing_key), 1, 0,
                              &properties, bytes);
}

static inline const amqp_field_value_t *cla_amqp_header(const amqp_basic_properties_t *properties, const char *name) {
    if (!(properties->_flags & AMQP_BASIC_HEADERS_FLAG)) return NULL;
    size_t length = strlen(name);
    for (int i = 0; i < properties->headers.num_entries; i++) {
        const amqp_table_entry_t *entry = &properties->headers.entries[i];
        if (entry->key.len == length && memcmp(entry->key.bytes, name, length) == 0) return &entry->value;
    }
    return NULL;
}

/// A string header (UTF-8 or bytes), or an empty string.
static inline amqp_bytes_t cla_amqp_string_header(const amqp_basic_properties_t *properties, const char *name) {
    const amqp_field_value_t *value = cla_amqp_header(properties, name);
    if (value != NULL && (value->kind == AMQP_FIELD_KIND_UTF8 || value->kind == AMQP_FIELD_KIND_BYTES)) return value->value.bytes;
    return amqp_empty_bytes;
}

/// An integer header of any width, or -1.
static inline int64_t cla_amqp_integer_header(const amqp_basic_properties_t *properties, const char *name) {
    const amqp_field_value_t *value = cla_amqp_header(properties, name);
    if (value == NULL) return -1;
    switch (value->kind) {
    case AMQP_FIELD_KIND_I8: return value->value.i8;
    case AMQP_FIELD_KIND_U8: return value->value.u8;
    case AMQP_FIELD_KIND_I16: return value->value.i16;
    case AMQP_FIELD_KIND_U16: return value->value.u16;
    case AMQP_FIELD_KIND_I32: return value->value.i32;
    case AMQP_FIELD_KIND_U32: return value->value.u32;
    case AMQP_FIELD_KIND_I64: return value->value.i64;
    case AMQP_FIELD_KIND_U64: return (int64_t)value->value.u64;
    default: return -1;
    }
}

/// The first x-death entry's `reason` ("delivery_limit", "rejected", "expired") and `count`.
static inline amqp_bytes_t cla_amqp_death_reason(const amqp_basic_properties_t *properties, int64_t *count) {
    *count = 0;
    const amqp_field_value_t *deaths = cla_amqp_header(properties, "x-death");
    if (deaths == NULL || deaths->kind != AMQP_FIELD_KIND_ARRAY || deaths->value.array.num_entries == 0) return amqp_empty_bytes;
    const amqp_field_value_t *first = &deaths->value.array.entries[0];
    if (first->kind != AMQP_FIELD_KIND_TABLE) return amqp_empty_bytes;
    amqp_bytes_t reason = amqp_empty_bytes;
    for (int i = 0; i < first->value.table.num_entries; i++) {
        const amqp_table_entry_t *entry = &first->value.table.entries[i];
        if (entry->key.len == 6 && memcmp(entry->key.bytes, "reason", 6) == 0 &&
            (entry->value.kind == AMQP_FIELD_KIND_UTF8 || entry->value.kind == AMQP_FIELD_KIND_BYTES)) {
            reason = entry->value.value.bytes;
        }
        if (entry->key.len == 5 && memcmp(entry->key.bytes, "count", 5) == 0) {
            if (entry->value.kind == AMQP_FIELD_KIND_I64) *count = entry->value.value.i64;
            if (entry->value.kind == AMQP_FIELD_KIND_U64) *count = (int64_t)entry->value.value.u64;
        }
    }
    return reason;
}
