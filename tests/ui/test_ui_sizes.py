"""Both station sizes get the same layout (issue 18 item 17): the design size in dp scaled to
the window, and the shots' file names per size."""

from screens.bootstrap import density_for
from screens.commands.shots import shot_name


def test_density_fits_the_design_size() -> None:
    assert density_for(720, 1280) == 1
    assert density_for(1080, 1920) == 1.5
    assert density_for(1080, 1280) == 1  # a wider window: the height decides, nothing is cut


def test_shot_names_keep_the_old_names_for_720() -> None:
    assert shot_name("job_detail", "zh", False, "720x1280") == "job_detail-zh-normal.png"
    assert shot_name("job_detail", "en", True, "1080x1920") == "job_detail-en-elderly-1080x1920.png"
