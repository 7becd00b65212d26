package dev.tryst.cli;

/** Work to do when the process is stopped (Ctrl-C, SIGTERM), withdrawn again when the command ends by itself. */
final class ShutdownHook implements AutoCloseable {
    private final Thread hook;

    ShutdownHook(String name, Runnable work) {
        hook = new Thread(work, name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException stopping) {
            // the process is being stopped: the hook runs (or ran) anyway
        }
    }
}
