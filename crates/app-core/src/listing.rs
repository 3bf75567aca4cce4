//! A page of a job listing: every partition of the index that is not exhausted is queried
//! at once, and their newest-first streams are merged into one page with an exact cursor.

use crate::cursor::{Cursor, PartitionState, Position};
use crate::domain::Job;
use crate::ports::{JobLister, JobPage, PartitionQuery, Upstream};
use crate::schema::JobIndex;
use futures_util::future::try_join_all;

/// One page of `limit` jobs of `index`, newest first, continuing `cursor` if given.
///
/// Each partition is asked for `limit` items (all of a page may come from one of them), so a
/// page costs one query per partition that is not done, whatever the size of the table.
pub async fn list_jobs<L: JobLister + ?Sized>(
    store: &L,
    index: JobIndex,
    limit: u32,
    cursor: Option<&Cursor>,
) -> Result<JobPage, Upstream> {
    let mut next = cursor.cloned().unwrap_or_else(|| Cursor::start(index));
    let queries: Vec<PartitionQuery> = index
        .partitions()
        .into_iter()
        .filter_map(|partition| {
            let after = match next.state(&partition) {
                Some(PartitionState::Done) => return None,
                Some(PartitionState::After(pos)) => Some(pos.clone()),
                None => None,
            };
            Some(PartitionQuery {
                index,
                partition,
                limit,
                after,
            })
        })
        .collect();
    let pages = try_join_all(queries.iter().map(|q| store.query_partition(q))).await?;

    let mut streams: Vec<(&PartitionQuery, std::vec::IntoIter<Job>, bool, usize)> = queries
        .iter()
        .zip(pages)
        .map(|(q, page)| {
            let n = page.items.len();
            (q, page.items.into_iter(), page.more, n)
        })
        .collect();
    let mut heads: Vec<Option<Job>> = streams.iter_mut().map(|s| s.1.next()).collect();
    let mut taken = vec![0usize; streams.len()];
    let mut items = Vec::new();
    while items.len() < limit as usize {
        // The newest head; ties by id, so the order is the same on every call.
        let best = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|j| (i, sort_key(j))))
            .max_by(|a, b| a.1.cmp(&b.1))
            .map(|(i, _)| i);
        let Some(i) = best else { break };
        let job = heads[i].take().expect("chosen head exists");
        next.set(
            &streams[i].0.partition,
            PartitionState::After(position(&job)),
        );
        taken[i] += 1;
        heads[i] = streams[i].1.next();
        items.push(job);
    }
    for (i, (q, _, more, fetched)) in streams.iter().enumerate() {
        if taken[i] == *fetched && !more {
            next.set(&q.partition, PartitionState::Done);
        }
    }
    Ok(JobPage {
        items,
        next: (!next.finished()).then_some(next),
    })
}

/// Newest first: by `LastUpdated`, then by id, as the indexes order a partition.
pub(crate) fn sort_key(job: &Job) -> (&str, &str) {
    (job.last_updated.as_deref().unwrap_or(""), job.id.as_str())
}

fn position(job: &Job) -> Position {
    Position {
        last_updated: job.last_updated.clone().unwrap_or_default(),
        id: job.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobStatus;
    use crate::fake::MemoryJobs;
    use crate::ports::PartitionPage;
    use async_trait::async_trait;

    fn table(n: usize) -> MemoryJobs {
        let statuses = [JobStatus::Started, JobStatus::Completed, JobStatus::Failed];
        MemoryJobs::with_jobs((0..n).map(|i| Job {
            id: format!("job-{i:04}"),
            // Some equal timestamps, to exercise ties across partitions.
            last_updated: Some(format!("2026-01-01T00:{:02}:00.000Z", (i / 2) % 60)),
            process_status: Some(statuses[i % 3]),
            ..Job::default()
        }))
    }

    async fn all_pages(t: &MemoryJobs, index: JobIndex, limit: u32) -> (Vec<String>, usize) {
        let mut cursor: Option<Cursor> = None;
        let mut ids = Vec::new();
        let mut pages = 0;
        loop {
            let page = list_jobs(t, index, limit, cursor.as_ref()).await.unwrap();
            pages += 1;
            assert!(page.items.len() <= limit as usize);
            ids.extend(page.items.into_iter().map(|j| j.id));
            match page.next {
                Some(c) => cursor = Some(Cursor::decode(&c.encode(), index).unwrap()),
                None => break,
            }
            assert!(pages < 1000, "the listing ends");
        }
        (ids, pages)
    }

    fn expected(t: &MemoryJobs, index: JobIndex) -> Vec<String> {
        let jobs = t.jobs();
        let mut rows: Vec<&Job> = jobs
            .iter()
            .filter(|j| match index {
                JobIndex::Recent => true,
                JobIndex::Status(s) => j.process_status == Some(s),
            })
            .collect();
        rows.sort_by(|a, b| sort_key(b).cmp(&sort_key(a)));
        rows.into_iter().map(|j| j.id.clone()).collect()
    }

    #[tokio::test]
    async fn pages_are_newest_first_exact_and_complete() {
        for n in [0usize, 1, 7, 40, 123] {
            let t = table(n);
            for limit in [1u32, 3, 20, 100] {
                for index in [JobIndex::Recent, JobIndex::Status(JobStatus::Completed)] {
                    let (ids, pages) = all_pages(&t, index, limit).await;
                    let want = expected(&t, index);
                    assert_eq!(ids, want, "n={n} limit={limit} {index:?}");
                    let full_pages = want.len().div_ceil(limit as usize).max(1);
                    assert!(
                        pages == full_pages || pages == full_pages + 1,
                        "n={n} limit={limit}: {pages} pages"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn one_query_per_live_partition() {
        let t = table(40);
        let page = list_jobs(&t, JobIndex::Recent, 5, None).await.unwrap();
        let q = t.queries();
        assert_eq!(q.len(), usize::from(crate::schema::LIST_SHARDS));
        assert!(q.iter().all(|q| q.limit == 5 && q.after.is_none()));
        let mut parts: Vec<_> = q.iter().map(|q| q.partition.clone()).collect();
        parts.sort();
        assert_eq!(parts, JobIndex::Recent.partitions());
        assert!(page.next.is_some());

        // A partition that is done is not queried again.
        let t = MemoryJobs::with_jobs([Job {
            id: "only".into(),
            last_updated: Some("2026-01-01T00:00:00.000Z".into()),
            ..Job::default()
        }]);
        let page = list_jobs(&t, JobIndex::Recent, 5, None).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.next, None);
    }

    #[tokio::test]
    async fn a_failing_partition_fails_the_page() {
        struct Failing;
        #[async_trait]
        impl JobLister for Failing {
            async fn query_partition(&self, q: &PartitionQuery) -> Result<PartitionPage, Upstream> {
                if q.partition == "2" {
                    Err(Upstream("throttled".into()))
                } else {
                    Ok(PartitionPage::default())
                }
            }
        }
        let err = list_jobs(&Failing, JobIndex::Recent, 5, None)
            .await
            .unwrap_err();
        assert_eq!(err.0, "throttled");
    }
}
