// The executable: flags and configuration, then the chassis (Shared/ServiceMain).
internal import ArgumentParser
internal import Analyzer
internal import ServiceMain

@main
enum AnalyzerMain {
    static func main() async {
        await ServiceCommand<AnalyzerDefinition>.main()
    }
}
