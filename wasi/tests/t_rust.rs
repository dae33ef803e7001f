// t_rust.rs — a Rust program on std: args, env, fs (create, write, read,
// metadata, read_dir, rename, remove), time and HashMap. Built for wasm32-wasi
// and natively; both must print the same.
use std::collections::HashMap;
use std::env;
use std::fs;
use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    println!("args: {:?}", args);
    let mut vars: Vec<(String, String)> =
        env::vars().filter(|(k, _)| k.starts_with("WT_")).collect();
    vars.sort();
    println!("vars: {:?}", vars);

    fs::create_dir_all("rs/a/b").unwrap();
    let mut f = fs::File::create("rs/a/hello.txt").unwrap();
    writeln!(f, "hello from rust").unwrap();
    drop(f);
    let mut s = String::new();
    fs::File::open("rs/a/hello.txt").unwrap().read_to_string(&mut s).unwrap();
    print!("read: {}", s);
    let md = fs::metadata("rs/a/hello.txt").unwrap();
    println!("len {} file {} dir {}", md.len(), md.is_file(), md.is_dir());
    fs::rename("rs/a/hello.txt", "rs/a/b/moved.txt").unwrap();
    let mut names: Vec<String> = fs::read_dir("rs/a")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("dir: {:?}", names);
    println!("missing: {:?}", fs::metadata("rs/nope").map_err(|e| e.kind()));
    fs::remove_file("rs/a/b/moved.txt").unwrap();
    fs::write("rs/out.txt", b"kept\n").unwrap();

    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    println!("after 2020: {}", now.as_secs() > 1_577_836_800);
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    println!("slept: {}", t.elapsed() >= Duration::from_millis(20));

    let mut m: HashMap<String, usize> = HashMap::new();
    for w in "the quick brown fox jumps over the lazy dog the end".split(' ') {
        *m.entry(w.to_string()).or_insert(0) += 1;
    }
    let mut counts: Vec<_> = m.into_iter().collect();
    counts.sort();
    println!("counts: {:?}", counts);
    std::process::exit(if args.is_empty() { 0 } else { 3 });
}
