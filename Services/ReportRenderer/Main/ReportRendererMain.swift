// The executable: flags and configuration, then the chassis (Shared/ServiceMain).
internal import ArgumentParser
internal import ReportRenderer
internal import ServiceMain

@main
enum ReportRendererMain {
    static func main() async {
        await ServiceCommand<ReportRendererDefinition>.main()
    }
}
