# The AWS side of the Flux environment production: the KMS key its SOPS-encrypted Secrets are
# sealed with, and the IAM role kustomize-controller of cluster prod-eu assumes to decrypt them.
# The policies are the documents of iam/production/, with Terraform's own references.

# The fleet's region; and only this environment's account: run with credentials of another
# account, Terraform stops before it changes anything.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["210987654321"]
}

locals {
  # The EKS cluster whose kustomize-controller gets the role, and its ARN (the trust policy's
  # condition: a cluster name is unique only within one account and region).
  cluster_name = "prod-eu"
  cluster_arn  = "arn:aws:eks:eu-west-1:210987654321:cluster/${local.cluster_name}"
  # The key's own ARN: IAM policies name the key itself, not an alias.
  kms_key_arn = data.aws_kms_key.sops.arn
}

# The key given for this environment (.sops.yaml names it): looked up, never created or changed here.
data "aws_kms_key" "sops" {
  key_id = "arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

# The environment's own role: only kustomize-controller (namespace flux-system) of this
# environment's cluster may assume it (trust policy = iam/production/trust-policy.json).
resource "aws_iam_role" "kustomize_controller" {
  name        = "flux-kms-decryptor-production"
  description = "Flux kustomize-controller of EKS cluster prod-eu decrypts the SOPS Secrets of environment production"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "FluxKustomizeControllerPodIdentity"
        Effect = "Allow"
        Principal = {
          Service = "pods.eks.amazonaws.com"
        }
        Action = ["sts:AssumeRole", "sts:TagSession"]
        Condition = {
          StringEquals = {
            "aws:RequestTag/eks-cluster-arn"            = local.cluster_arn
            "aws:RequestTag/kubernetes-namespace"       = "flux-system"
            "aws:RequestTag/kubernetes-service-account" = "kustomize-controller"
          }
        }
      },
    ]
  })
}

# What the role may do: kms:Decrypt on this environment's key only
# (iam/production/kms-decrypt-policy.json, naming the key itself rather than its alias).
resource "aws_iam_role_policy" "kms_decrypt" {
  name = "flux-sops-decrypt"
  role = aws_iam_role.kustomize_controller.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptFluxSopsSecrets"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = local.kms_key_arn
      },
    ]
  })
}

# Binds the role to kustomize-controller's ServiceAccount in the cluster (EKS Pod Identity;
# the cluster needs the eks-pod-identity-agent add-on, and the controller a restart).
resource "aws_eks_pod_identity_association" "kustomize_controller" {
  cluster_name    = local.cluster_name
  namespace       = "flux-system"
  service_account = "kustomize-controller"
  role_arn        = aws_iam_role.kustomize_controller.arn
}
