// Preload bridge (filled in by the app shell).
export {};
