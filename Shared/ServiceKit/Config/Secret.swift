/// A credential from configuration. Its description never shows the value, so interpolating it into a log
/// line or an error cannot leak it; code that needs the value reads `value`.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    package var value: String

    package init(_ value: String = "") { self.value = value }

    package var isSet: Bool { !value.isEmpty }
    package var description: String { isSet ? "(secret)" : "(not set)" }
    package var debugDescription: String { description }
}
