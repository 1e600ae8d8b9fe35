variable "name" {
  description = "Name of the IAM role the GitHub Actions deploy job assumes."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name."
  }
}

variable "github_repository" {
  description = "GitHub repository allowed to assume the role, as owner/name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be written owner/name."
  }
}

variable "github_environment" {
  description = "GitHub deployment environment whose jobs may assume the role (protect it with required reviewers)."
  type        = string

  validation {
    condition     = length(var.github_environment) > 0
    error_message = "github_environment must not be empty."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when another stack already created it."
  type        = bool
  default     = true
}

variable "repository_arn" {
  description = "ECR repository the role pushes images to."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster the role deploys to."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of that cluster."
  type        = string
}

variable "secret_read_policy_arn" {
  description = "Policy that lets the role read the application secret (to sync it into the cluster)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
