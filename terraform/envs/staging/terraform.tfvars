# Example values: replace every one of them before the first plan (docs/deploy-terraform.md).
region                  = "eu-west-1"
app_hostname            = "staging.taskboard.example.com"
github_repository       = "example-org/taskboard"
api_public_access_cidrs = ["203.0.113.0/24"]
