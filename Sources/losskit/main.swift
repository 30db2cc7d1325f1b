import LossKitCLI

LossKitCommand.main()
