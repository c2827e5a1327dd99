"""`flask user create`: a technician gets the branch the call scripts name (issue 14, point 10)."""

from sqlalchemy import select

from backend.auth.models import User


def _create(app, db, *args, input=None):
    result = app.test_cli_runner().invoke(
        args=["user", "create", *args], input=input, env={"DOORSTEP_PASSWORD": "correct-horse-9"}
    )
    return result, db.session.scalar(select(User).where(User.username == args[0]))


def test_a_technician_without_branch_is_asked_for_it(app, db):
    result, user = _create(app, db, "lin", "--role", "technician", "--name", "林师傅", input="\n  \n鼓楼\n")
    assert result.exit_code == 0, result.output
    assert "Branch (分公司)" in result.output and "needs a branch" in result.output
    assert user.branch == "鼓楼"


def test_a_technician_is_not_created_without_a_branch(app, db):
    result, user = _create(app, db, "lin2", "--role", "technician", "--branch", "  ", input="")
    assert result.exit_code != 0
    assert user is None


def test_the_branch_given_is_kept_and_other_roles_are_not_asked(app, db):
    result, user = _create(app, db, "lin3", "--role", "technician", "--branch", "厦门")
    assert result.exit_code == 0 and "Branch" not in result.output and user.branch == "厦门"
    result, user = _create(app, db, "desk", "--role", "dispatcher")
    assert result.exit_code == 0 and "Branch" not in result.output and user.branch is None
