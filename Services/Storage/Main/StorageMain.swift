// The executable: flags and configuration, then the chassis (Shared/ServiceMain).
internal import ArgumentParser
internal import Storage
internal import ServiceMain

@main
enum StorageMain {
    static func main() async {
        await ServiceCommand<StorageDefinition>.main()
    }
}
