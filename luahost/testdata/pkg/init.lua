return { name = "pkg/init" }
