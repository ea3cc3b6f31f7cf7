/// What a source's state means for a report, decided once for the analyzer (scoring, narrative) and the
/// renderer (what each section may say).
extension CommonV1.SourceStatus.State {
    /// The source was asked (configured and enabled), whatever it answered.
    package var asked: Bool { ![.notConfigured, .disabled, .unspecified].contains(self) }

    /// Asked, but failed or answered only part of what it was asked (error, timeout, breaker open, partial):
    /// what it would have said is unknown, so its silence is not "nothing found".
    package var incomplete: Bool { [.error, .timeout, .circuitOpen, .partial].contains(self) }

    /// Answered in full, now or from the cache: what it says can be compared with what it said before.
    package var answered: Bool { self == .ok || self == .cached }
}
