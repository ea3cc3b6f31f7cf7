/// The `rabbitmq.*` keys that storage (the publisher) and the analyzer (the consumer) share when
/// `features.queue_backend` is `rabbitmq`. Both must name the same broker and queue.
package struct BrokerSettings: Sendable, Equatable {
    package var address = ServiceAddress(host: "127.0.0.1", port: 5672)
    package var user = "guest"
    package var password = Secret("guest")
    package var vhost = "/"
    /// The job queue; its dead-letter exchange and queue are `<queue>.dlx` and `<queue>.dead`.
    package var queue = "cla.jobs"
    /// Redeliveries before the broker dead-letters a message (`x-delivery-limit`; fixed when the queue is
    /// first declared).
    package var deliveryLimit = 5

    package init() {}

    static let help = (
        address: "RabbitMQ host:port (features.queue_backend: rabbitmq).",
        user: "RabbitMQ user.",
        password: "RabbitMQ password.",
        vhost: "RabbitMQ virtual host.",
        queue: "The job queue's name (dead letters: <queue>.dead).",
        deliveryLimit: "Redeliveries before RabbitMQ dead-letters a job message (fixed at the queue's first declare)."
    )

    /// The keys, for a settings type that keeps these at `root`.
    package static func keys<Root>(
        address: any WritableKeyPath<Root, ServiceAddress> & Sendable, user: any WritableKeyPath<Root, String> & Sendable,
        password: any WritableKeyPath<Root, Secret> & Sendable, vhost: any WritableKeyPath<Root, String> & Sendable,
        queue: any WritableKeyPath<Root, String> & Sendable, deliveryLimit: any WritableKeyPath<Root, Int> & Sendable
    ) -> [ConfigKey<Root>] {
        [
            .address("rabbitmq.address", address, help: help.address),
            .string("rabbitmq.user", user, help: help.user),
            .secret("rabbitmq.password", password, help: help.password, reloadable: false),
            .string("rabbitmq.vhost", vhost, help: help.vhost),
            .string("rabbitmq.queue", queue, help: help.queue) { text in
                text.wholeMatch(of: /[A-Za-z0-9_.:-]{1,200}/) == nil ? "expected letters, digits and _.:- (1–200), got \(text)" : nil
            },
            .integer("rabbitmq.delivery_limit", deliveryLimit, in: 1...100, help: help.deliveryLimit),
        ]
    }
}
