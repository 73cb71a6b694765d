{
  "targets": [
    {
      "target_name": "berth_sys",
      "sources": ["native/berth_sys.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    }
  ]
}
