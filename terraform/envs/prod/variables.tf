variable "region" {
  description = "AWS region of every resource of this environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "app_hostname" {
  description = "Public host name of the platform (the Ingress host, DJANGO_ALLOWED_HOSTS and the CSRF origin)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.app_hostname))
    error_message = "app_hostname must be a fully qualified lowercase DNS name."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose protected environment may deploy."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be written owner/name."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when another environment in the same account already did."
  type        = bool
  default     = true
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster."
  type        = string
  default     = "1.35"

  validation {
    condition     = can(regex("^1\\.(3[3-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be written 1.NN, 1.33 or later."
  }
}

variable "api_public_access_cidrs" {
  description = "CIDRs allowed to reach the Kubernetes API endpoint (deploy runners, operators' VPN)."
  type        = list(string)

  validation {
    condition     = length(var.api_public_access_cidrs) > 0 && alltrue([for cidr in var.api_public_access_cidrs : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "api_public_access_cidrs must list at least one CIDR and must not include 0.0.0.0/0."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "node_instance_types" {
  description = "Instance types of the cluster nodes."
  type        = list(string)
  default     = ["m7i.xlarge"]

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types must name at least one instance type."
  }
}

variable "postgres_instance_class" {
  description = "RDS instance class of PostgreSQL (docs/scaling.md sizes it)."
  type        = string
  default     = "db.m7g.xlarge"

  validation {
    condition     = startswith(var.postgres_instance_class, "db.")
    error_message = "postgres_instance_class must be an RDS class such as db.m7g.xlarge."
  }
}

variable "redis_node_type" {
  description = "ElastiCache node type of Redis (docs/scaling.md sizes it)."
  type        = string
  default     = "cache.m7g.large"

  validation {
    condition     = startswith(var.redis_node_type, "cache.")
    error_message = "redis_node_type must be an ElastiCache node type such as cache.m7g.large."
  }
}
