# Terraform and provider versions of this root module, the AWS side of the Flux environment
# production. hashicorp/aws 5.30 is the first release whose aws_eks_pod_identity_association
# retries IAM's eventual consistency errors on create (this module creates the role and binds it in one apply).
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.30, < 7.0"
    }
  }

  # No backend block: state stays in this folder (git-ignored) until you add your team's backend.
}
