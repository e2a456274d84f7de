/** The options of `autotap bench`, apart from the benchmark itself so that `--help` loads nothing heavy. */
export const BENCH_USAGE = `  bench [--quick] [--instances N] [--concurrency N] [--scale X] [--describe-capacity N]
        [--describe-refill N] [--mutate-capacity N] [--mutate-refill N] [--duplicate-share F]
        [--two-eni-share F] [--excluded-share F] [--unsupported-share F] [--seed N]
        [--load-samples N] [--skip-bundles] [--out FILE] [--json]
        [--only mirroring|detections|fleet] [--skip-detections] [--detections N] [--backlog N] [--page-size N]
        [--sqs-batch-size N] [--compare-batch-sizes N,N] [--update-share F] [--exact-duplicate-share F]
        [--skip-fleet] [--fleet-instances N] [--fleet-terminated N]
      Benchmark a launch burst through the real workflow on the local AWS under EC2-like
      throttling, one poll window of detections through the real detection Lambdas (SQS,
      DynamoDB, SNS), and the Lambda bundles; writes bench/results.json (what \`npm run bench\` does).
      --quick: 20 instances, buckets 20/20 and 5/5, so throttling still happens in seconds;
      300 detections.
      Detections: 10,000 by default, page size 1000, SQS batch size 10 (Lambda's default), then the
      same window again at each --compare-batch-sizes (default 100; "" for none).
      Fleet scale: a scheduled reconcile of 20,000 running instances (1-3 ENIs each) and the
      cleanup-sessions executions after 5,000 of them terminate, against Step Functions' quotas
      (--quick: 1,000 and 250).`;
