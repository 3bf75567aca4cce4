//! Which machine the figures come from: they mean little without it.

fn first_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

pub fn describe() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = first_value(&cpuinfo, "model name")
        .or_else(|| first_value(&cpuinfo, "Model"))
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = first_value(&meminfo, "MemTotal")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "{cpus} CPUs ({model}), {mem} RAM, Linux {kernel}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// `VmHWM` (peak) and `VmRSS` of a process, in MiB.
pub fn memory_mb(pid: &str) -> (Option<f64>, Option<f64>) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        first_value(&status, key)
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (kb("VmHWM"), kb("VmRSS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_style_fields() {
        let text = "VmPeak:\t  100 kB\nVmHWM:\t    2048 kB\n";
        assert_eq!(first_value(text, "VmHWM").as_deref(), Some("2048 kB"));
        assert_eq!(first_value(text, "Nope"), None);
    }

    #[test]
    fn own_memory_is_readable() {
        let (hwm, rss) = memory_mb("self");
        assert!(hwm.unwrap_or(0.0) > 0.0 && rss.unwrap_or(0.0) > 0.0);
    }
}
