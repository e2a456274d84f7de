import { MANAGED_TAG } from '../src/mirroring/types.ts';
import { AWS_OPTIONS_USAGE } from './aws-options.ts';

/**
 * The usage text of the operator commands, apart from the commands themselves: `autotap --help` and
 * `autotap <command> --help` print it without loading the AWS SDK clients and domain code.
 */

export const PLAN_USAGE = `  plan [--stage S] [--config FILE] [--scenario FILE] [--vpc vpc-...] [--instance i-...] ${AWS_OPTIONS_USAGE} [--account A [--role-name NAME]] [--json]
      What the reconciler would create, delete, move or skip, and why, with the running fleet per
      skip reason and the sessions per VPC and zone and what they cost per hour and month;
      read-only. Against the account of your AWS credentials (config/<stage>.yml, default dev), or a
      scenario on the local AWS (--scenario). --instance (repeatable): only those instances, as the
      reconcile a tag change starts sees them. --account: an organization's account, in --region,
      with its override and member filter, read through --role-name there (default
      OrganizationAccountAccessRole) unless it is your credentials' own.
`;

export const STATUS_USAGE = `  status [--stage S] [--config FILE] [--scenario FILE] [--vpc vpc-...] ${AWS_OPTIONS_USAGE} [--account A [--role-name NAME]] [--json] [--html FILE]
      Coverage now: in-scope ENIs, mirrored and not mirrored by reason, by VPC and zone, each
      target's load against what it takes, autotap's sessions without a reason to exist, and what
      the sessions cost an hour; read-only. --html FILE also writes one self-contained page of it.
      Against the account of your AWS credentials, or (--scenario) the local AWS after the
      scenario's events ran. --account: an organization's account, as for plan.
`;

export const MEMBER_TEMPLATE_USAGE = `  member-template [--stage S] [--config FILE] [--out FILE]
      The CloudFormation template of the organization deployment's members (organization: in the
      stage): the event rules forwarding to the central autotap bus, the role the central workflows
      assume, and the member's filter. Deploy it with a service-managed StackSet
      (docs/organization.md). Writes JSON to standard output, or to --out FILE.
`;

export const RERUN_USAGE = `  rerun (--instance i-... | --eni eni-...) [--stage S] [--dry-run] [--wait] [--timeout SECONDS] ${AWS_OPTIONS_USAGE} [--json]
      Start the deployed autotap-<stage>-mirror-instances for the given instances or ENIs (repeat the
      flag for several), print the execution ARN and its console link; with --wait, the outcomes.
`;

export const DETECTIONS_USAGE = `  detections preview FILE [--json] [--appliance-url URL] [--min-risk N] [--slack-format block-kit|amazon-q]
      Read a detection (or an array of them) as the appliance sends it and print what autotap
      would publish: the normalized detection, the SNS entries, the email and the Slack message.
      Nothing is sent. --json prints one JSON document {detections, sns, email, slack}.
`;

export const DOCTOR_USAGE = `  doctor --stage S [--config FILE] ${AWS_OPTIONS_USAGE} [--json]
      Check the account against config/<stage>.yml (or --config FILE), before and after deploy:
      filter, targets, UDP 4789 paths, zones, CloudTrail, instance types, session quota, secrets,
      ops subscriptions; read-only. Exit 1 when a check fails (a WARN does not).
`;

export const UNINSTALL_USAGE = `  uninstall --stage S [--dry-run] [--yes] [--force] [--scenario FILE] ${AWS_OPTIONS_USAGE} [--json]
      Delete every traffic mirror session autotap created (tag ${MANAGED_TAG}=true) and leave every
      other session alone. Run it after \`serverless remove --stage S\`: it refuses (exit 2) while the
      stage's rules that create sessions are enabled (--force to go on anyway). --dry-run lists the
      sessions, --yes skips the confirmation. Exit 1 when a session could not be deleted; running it
      again is safe. Against the account of your AWS credentials, or a scenario on the local AWS.
`;
