variable "name" {
  description = "Replication group ID, e.g. taskboard-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name))
    error_message = "name must be 2-40 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version (the platform is built and tested on 7)."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a Redis 7 minor version such as 7.1."
  }
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.m7g.large"

  validation {
    condition     = startswith(var.node_type, "cache.")
    error_message = "node_type must be an ElastiCache node type such as cache.m7g.large."
  }
}

variable "multi_az" {
  description = "Automatic failover to a replica in another zone (required in production; needs replicas >= 1)."
  type        = bool
  default     = true
}

variable "replicas" {
  description = "Read replicas besides the primary, spread over the other zones."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 0 && var.replicas <= 5 && (!var.multi_az || var.replicas >= 1)
    error_message = "replicas must be between 0 and 5, and at least 1 when multi_az is true."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots to keep (the cache is rebuilt from PostgreSQL, but write-behind buffers live here)."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be between 1 and 35."
  }
}

variable "maxmemory_policy" {
  description = "Eviction policy. noeviction keeps write-behind buffers and throttle counters from being evicted silently."
  type        = string
  default     = "noeviction"

  validation {
    condition     = contains(["noeviction", "volatile-lru", "volatile-lfu", "volatile-ttl", "allkeys-lru", "allkeys-lfu"], var.maxmemory_policy)
    error_message = "maxmemory_policy must be a Redis eviction policy."
  }
}

variable "vpc_id" {
  description = "VPC of the cache security group."
  type        = string
}

variable "subnet_ids" {
  description = "Isolated subnets in at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must name subnets in at least two availability zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on 6379 (the cluster's)."
  type        = list(string)
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
