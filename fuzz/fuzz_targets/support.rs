// Shared by the reader targets: write the bytes as a one-table return, then run validate and prepare on it.
pub fn read_return_file(name: &str, data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let folder = dir.path().join("E09000017").join("2025Q1");
    if std::fs::create_dir_all(&folder).is_err() || std::fs::write(folder.join(name), data).is_err() {
        return;
    }
    let Ok(schemas) = rni::schema::Schemas::builtin() else { return };
    let key = rni::keys::example_key();
    let pseudonymiser = rni::keys::Pseudonymiser::new(&key);
    let _ = rni::prepare::run_all(dir.path(), &schemas, rni::prepare::Mode::Validate);
    let out = dir.path().join("pkg");
    let _ = rni::prepare::run_all(dir.path(), &schemas, rni::prepare::Mode::Prepare { pseudonymiser: &pseudonymiser, out: &out });
}
