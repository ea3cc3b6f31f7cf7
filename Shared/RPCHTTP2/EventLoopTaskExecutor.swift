internal import NIOCore

/// Runs a stream's handler task on its connection's event loop, so the handler's writes reach the connection
/// without a thread hop and the inbound stream resumes the handler where the bytes arrived.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
