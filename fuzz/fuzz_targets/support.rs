// Shared by the reader targets: write the bytes as a one-table return, then run validate and prepare on it.
pub fn read_return_file(name: &str, data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let folder = dir.path().join("E09000017").join("2025Q1");
    if std::fs::create_dir_all(&folder).is_err() || std::fs::write(folder.join(name), data).is_err() {
        return;
    }
    let Ok(schemas) = rni::config::schema::Schemas::builtin() else { return };
    let key = rni::privacy::keys::example_key();
    let pseudonymiser = rni::privacy::keys::Pseudonymiser::new(&key);
    let Ok(returns) = rni::ingest::discover::discover_returns(dir.path(), &schemas) else { return };
    let _ = rni::publish::package::run_all(&returns, dir.path(), &schemas, rni::publish::package::Mode::Validate);
    let out = dir.path().join("pkg");
    let Ok(lexicon) = rni::privacy::scrub::Lexicon::builtin() else { return };
    let mode =
        rni::publish::package::Mode::Prepare { pseudonymiser: &pseudonymiser, out: &out, lexicon: &lexicon, names_from: &[] };
    let _ = rni::publish::package::run_all(&returns, dir.path(), &schemas, mode);
}
