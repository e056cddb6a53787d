"""PyGithub, unchanged, against the GitHub surface: argv = base URL, token, owner/repo. Prints what it read as JSON."""
import json
import sys

import github

base, token, full_name = sys.argv[1:4]
# GitHub's page size (30): PyGithub 1.55 appends "?per_page=" to the URLs of Link headers when it sends another
# size, which GitHub's lenient integers absorb and our strict ones refuse (docs/github.md)
gh = github.Github(login_or_token=token, base_url=base)
out = {}

repo = gh.get_repo(full_name)
out["repo"] = {
    "full_name": repo.full_name,
    "name": repo.name,
    "owner": repo.owner.login,
    "private": repo.private,
    "id_is_int": isinstance(repo.id, int),
    "pull": repo.permissions.pull,
    "push": repo.permissions.push,
}
out["user"] = gh.get_user().login

releases = repo.get_releases()
out["releases"] = [release.tag_name for release in releases]
out["reversed"] = [release.tag_name for release in releases.reversed]
out["latest"] = repo.get_latest_release().tag_name
release = repo.get_release("v1.1.0")
out["release_by_tag"] = {"id": release.id, "title": release.title, "body": release.body}
out["release_by_id"] = repo.get_release(release.id).tag_name
out["assets"] = sorted([asset.name, asset.size] for asset in release.get_assets())

deployments = list(repo.get_deployments())
out["deployments"] = [[deployment.sha, deployment.environment] for deployment in deployments]
# the deployment of v1.1.0, which the test finished with success (others may be in progress)
deployment = repo.get_deployment(next(d.id for d in deployments if d.sha == "v1.1.0"))
statuses = list(deployment.get_statuses())
out["statuses"] = [status.state for status in statuses]
out["status_by_id"] = deployment.get_status(statuses[0].id).state

errors = {}
try:
    github.Github(login_or_token="gwr_" + "x" * 43, base_url=base).get_repo(full_name)
except github.BadCredentialsException as error:
    errors["bad_token"] = [type(error).__name__, error.status]
try:
    gh.get_repo(full_name + "-none")
except github.UnknownObjectException as error:
    errors["unknown_repo"] = [type(error).__name__, error.status]
try:
    deployment.get_status(statuses[0].id + 1000000)
except github.UnknownObjectException as error:
    errors["unknown_status"] = [type(error).__name__, error.status]
out["errors"] = errors

print(json.dumps(out))
